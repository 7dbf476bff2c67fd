#include "server/checking/proper_nouns.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "absl/strings/str_split.h"
#include "server/checking/author_names.h"

namespace citecheck {
namespace {

// One word per entry; several words separated by spaces for phrases.
constexpr absl::string_view kProperNouns =
    // Continents, regions, seas and other places.
    "Africa Asia Europe America Americas Antarctica Oceania Arctic Antarctic Amazon Sahara "
    "Mediterranean Atlantic Pacific Baltic Balkans Caribbean Caucasus Himalaya Himalayas Alps "
    "Andes Siberia Patagonia Scandinavia Andalusia Catalonia Galicia Basque Bavaria Tuscany "
    "Sicily Sardinia Flanders Wallonia Brittany Provence Normandy Lombardy Kashmir Punjab Bengal "
    "Tibet Xinjiang Manchuria Mongolia Anatolia Mesopotamia Levant Sahel Maghreb Balochistan "
    "Scotland Wales England Ireland Ulster Britain Cornwall Yorkshire Ontario Quebec Alberta "
    "Manitoba Saskatchewan Yukon Nunavut Labrador Newfoundland Queensland Tasmania Victoria "
    "Hokkaido Okinawa Kyushu Java Sumatra Borneo Bali Mindanao Luzon Zanzibar Darfur Kurdistan "
    "Appalachia Midwest Everest Nile Danube Rhine Thames Yangtze Ganges Mekong Congo Volga "
    // Countries.
    "Afghanistan Albania Algeria Andorra Angola Argentina Armenia Australia Austria Azerbaijan "
    "Bahamas Bahrain Bangladesh Barbados Belarus Belgium Belize Benin Bhutan Bolivia Bosnia "
    "Herzegovina Botswana Brazil Brunei Bulgaria Burkina Faso Burundi Cambodia Cameroon Canada "
    "Chad Chile China Colombia Comoros Croatia Cuba Cyprus Czechia Denmark Djibouti Dominica "
    "Ecuador Egypt Eritrea Estonia Eswatini Ethiopia Fiji Finland France Gabon Gambia Georgia "
    "Germany Ghana Greece Grenada Guatemala Guinea Guyana Haiti Honduras Hungary Iceland India "
    "Indonesia Iran Iraq Israel Italy Jamaica Japan Jordan Kazakhstan Kenya Kiribati Korea "
    "Kosovo Kuwait Kyrgyzstan Laos Latvia Lebanon Lesotho Liberia Libya Liechtenstein Lithuania "
    "Luxembourg Madagascar Malawi Malaysia Maldives Mali Malta Mauritania Mauritius Mexico "
    "Micronesia Moldova Monaco Montenegro Morocco Mozambique Myanmar Burma Namibia Nauru Nepal "
    "Netherlands Nicaragua Niger Nigeria Norway Oman Pakistan Palau Palestine Panama Paraguay "
    "Peru Philippines Poland Portugal Qatar Romania Russia Rwanda Samoa Senegal Serbia "
    "Seychelles Singapore Slovakia Slovenia Somalia Spain Sudan Suriname Sweden Switzerland "
    "Syria Taiwan Tajikistan Tanzania Thailand Togo Tonga Trinidad Tobago Tunisia Turkey "
    "Turkmenistan Tuvalu Uganda Ukraine Uruguay Uzbekistan Vanuatu Vatican Venezuela Vietnam "
    "Yemen Zambia Zimbabwe "
    // States and cities.
    "Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Hawaii "
    "Idaho Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts "
    "Michigan Minnesota Mississippi Missouri Montana Nebraska Nevada Ohio Oklahoma Oregon "
    "Pennsylvania Tennessee Texas Utah Vermont Virginia Washington Wisconsin Wyoming "
    "London Paris Berlin Madrid Rome Vienna Prague Warsaw Budapest Athens Istanbul Moscow "
    "Beijing Shanghai Tokyo Osaka Kyoto Seoul Delhi Mumbai Kolkata Chennai Bangalore Karachi "
    "Lahore Dhaka Jakarta Manila Bangkok Hanoi Singapore Sydney Melbourne Auckland Toronto "
    "Montreal Vancouver Chicago Boston Philadelphia Detroit Atlanta Houston Dallas Miami Seattle "
    "Denver Baltimore Brooklyn Manhattan Harlem Hollywood Lagos Nairobi Accra Cairo Johannesburg "
    "Cape Town Casablanca Dakar Kinshasa Addis Ababa Tehran Baghdad Jerusalem Beirut Dubai Riyadh "
    "Lima Bogotá Caracas Santiago Buenos Aires Havana Barcelona Lisbon Amsterdam Brussels Geneva "
    "Zurich Munich Hamburg Milan Naples Venice Florence Stockholm Oslo Copenhagen Helsinki Dublin "
    "Edinburgh Glasgow Manchester Liverpool Birmingham Oxford Cambridge Kyiv Kiev Minsk "
    "Hiroshima Nagasaki Shenzhen Wuhan Hong Kong Macau Taipei "
    // Peoples, languages, religions and their adjectives.
    "African American Americans Asian Asians European Europeans Arab Arabs Arabic Latino Latina "
    "Latinx Hispanic Indigenous Aboriginal Māori Maori Inuit Sami English French German Germans "
    "Spanish Portuguese Italian Italians Dutch Greek Greeks Russian Russians Polish Czech "
    "Hungarian Swedish Norwegian Danish Finnish Irish Scottish Welsh British Chinese Japanese "
    "Korean Vietnamese Thai Indian Indians Pakistani Bangladeshi Persian Turkish Kurdish Hebrew "
    "Israeli Palestinian Egyptian Nigerian Kenyan Ghanaian Ethiopian Somali Mexican Brazilian "
    "Argentine Chilean Colombian Peruvian Cuban Canadian Australian Swahili Yoruba Igbo Hausa "
    "Zulu Hindi Urdu Bengali Tamil Mandarin Cantonese Latin Sanskrit Christian Christians "
    "Christianity Catholic Catholics Catholicism Protestant Protestants Muslim Muslims "
    "Islam Islamic Jewish Jews Judaism Hindu Hindus Hinduism Buddhist Buddhism Sikh Confucian "
    "Confucianism Quaker Anglican Lutheran Methodist Baptist Bible Quran Koran Torah God "
    "Western Soviet Ottoman Roman Romans Byzantine Victorian Edwardian "
    "Elizabethan Georgian Renaissance Enlightenment Reformation Holocaust Brexit "
    "Marxist Marxism Leninist Maoist Darwinian Darwinism Freudian Kantian Hegelian Cartesian "
    "Newtonian Bayesian Gaussian Keynesian Weberian Foucauldian Shakespearean Platonic "
    "Aristotelian Socratic Machiavellian Orwellian Kafkaesque Homeric Dickensian Jacobean "
    // People often named in titles.
    "Shakespeare Darwin Freud Austen Morrison Kant Woolf Marx Beauvoir Confucius Plato "
    "Aristotle Socrates Hegel Nietzsche Foucault Derrida Einstein Newton Galileo Copernicus "
    "Dickens Tolstoy Dostoevsky Cervantes Dante Goethe Homer Milton Chaucer Locke Hobbes "
    "Rousseau Voltaire Weber Durkheim Piaget Vygotsky Keynes Hayek Lincoln Gandhi Mandela "
    "Napoleon Churchill Machiavelli Wittgenstein Heidegger Husserl Sartre Camus Kafka Joyce "
    "Orwell Hemingway Faulkner Baldwin Angelou Achebe Borges Neruda Tagore Rumi Avicenna "
    "Augustine Aquinas Luther Calvin Descartes Spinoza Leibniz Hume Bentham Ricardo "
    "Malthus Mendel Pasteur Curie Turing Lovelace Tesla Edison Picasso Beethoven Mozart Bach "
    "Wagner Chopin Verdi Jesus Muhammad Buddha Moses Abraham Paul "
    // Months and days.
    "January February March April June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday "
    // Institutions and things always capitalised.
    "Internet Congress Parliament Senate Olympics Olympic UNESCO NATO Twitter Facebook Instagram "
    "TikTok Google Wikipedia Amazon Microsoft Netflix Uber Airbnb";

// Several words that together name one thing ("New Zealand").
constexpr absl::string_view kProperPhrases[] = {
    "New Zealand",
    "New York",
    "New Jersey",
    "New Mexico",
    "New England",
    "New Delhi",
    "New Guinea",
    "New Orleans",
    "South Africa",
    "South Korea",
    "South Sudan",
    "South America",
    "North America",
    "North Korea",
    "North Carolina",
    "South Carolina",
    "North Dakota",
    "South Dakota",
    "West Virginia",
    "Rhode Island",
    "New Hampshire",
    "Latin America",
    "Central America",
    "Middle East",
    "Far East",
    "East Asia",
    "Southeast Asia",
    "South Asia",
    "Central Asia",
    "West Africa",
    "East Africa",
    "Sub-Saharan Africa",
    "United States",
    "United Kingdom",
    "United Nations",
    "European Union",
    "Soviet Union",
    "Saudi Arabia",
    "Sri Lanka",
    "Costa Rica",
    "Puerto Rico",
    "El Salvador",
    "Dominican Republic",
    "Czech Republic",
    "Ivory Coast",
    "Hong Kong",
    "Mexico City",
    "Cape Town",
    "Buenos Aires",
    "Los Angeles",
    "San Francisco",
    "Rio de Janeiro",
    "São Paulo",
    "Sierra Leone",
    "Papua New Guinea",
    "Cold War",
    "Great Depression",
    "Great Recession",
    "World War",
    "Civil War",
    "Industrial Revolution",
    "French Revolution",
    "Arab Spring",
    "Global South",
    "Global North",
    "Third World",
    "Supreme Court",
    "White House",
    "Silicon Valley",
    "Wall Street",
    "Black Death",
    "Middle Ages",
    "Stone Age",
    "Bronze Age",
    "Iron Age",
    "Great Lakes",
    "Pacific Ocean",
    "Atlantic Ocean",
    "Indian Ocean",
    "Dead Sea",
    "Red Sea",
    "Black Sea",
    "North Sea",
    "Gulf Coast",
    "Jane Austen",
    "Toni Morrison",
    "Virginia Woolf",
    "Simone de Beauvoir",
    "Karl Marx",
    "Adam Smith",
    "Charles Darwin",
    "Sigmund Freud",
    "Immanuel Kant",
    "Martin Luther King",
    "Nelson Mandela",
    "Abraham Lincoln",
};

// Given names common enough to be recognised before a surname ("Jane Austen").
constexpr absl::string_view kGivenNames =
    "Adam Alan Albert Alexander Alice Andrew Angela Ann Anna Anne Barack Benjamin Carl Charles "
    "Charlotte Christopher Daniel David Donald Edward Elizabeth Emily Emma Frank Franz Frederick "
    "George Hannah Harriet Helen Henry Isaac Jacques James Jane Jean John Joseph Karl Leo Ludwig "
    "Margaret Maria Martin Mary Michel Nelson Oscar Peter Richard Robert Rosa Samuel Simone "
    "Sigmund Susan Thomas Toni Victor Virginia Walter William Winston Immanuel Friedrich Jean-Paul "
    "Jean-Jacques Max Noam Hannah Judith Zora Langston Gabriel Octavio Pablo Chinua Wole Toni";

// The words of `list` (separated by spaces), as a set built once and never destroyed.
// Sets and maps compare with std::less<> so that a string_view finds its entry unconverted.
using WordSetType = std::set<std::string, std::less<>>;

const WordSetType* WordSet(absl::string_view list) {
  auto* set = new WordSetType();
  for (absl::string_view word : absl::StrSplit(list, ' ', absl::SkipEmpty())) {
    set->insert(std::string(word));
  }
  return set;
}

const WordSetType& GivenNames() {
  static const WordSetType* const kSet = WordSet(kGivenNames);
  return *kSet;
}

const WordSetType& ProperNouns() {
  static const WordSetType* const kSet = WordSet(kProperNouns);
  return *kSet;
}

// kProperPhrases split into words once, by first word: a phrase is tried only where its first
// word stands (this runs for every word of every title checked).
using PhraseIndex = std::map<std::string, std::vector<std::vector<std::string>>, std::less<>>;

const PhraseIndex& PhrasesByFirstWord() {
  static const PhraseIndex* const kIndex = [] {
    auto* index = new PhraseIndex();
    for (absl::string_view phrase : kProperPhrases) {
      std::vector<std::string> parts = absl::StrSplit(phrase, ' ');
      (*index)[parts.front()].push_back(std::move(parts));
    }
    return index;
  }();
  return *kIndex;
}

// `word` without trailing punctuation (",", ":", "?", "'s"...).
absl::string_view Bare(absl::string_view word) {
  while (!word.empty() &&
         (word.back() == ',' || word.back() == ':' || word.back() == ';' || word.back() == '?' ||
          word.back() == '!' || word.back() == '.' || word.back() == ')')) {
    word.remove_suffix(1);
  }
  for (absl::string_view possessive : {"'s", "\xE2\x80\x99s"}) {
    if (word.size() > possessive.size() &&
        word.substr(word.size() - possessive.size()) == possessive) {
      word.remove_suffix(possessive.size());
    }
  }
  while (!word.empty() && (word.front() == '(' || word.front() == '"')) word.remove_prefix(1);
  return word;
}

}  // namespace

bool IsKnownProperNoun(absl::string_view word) {
  absl::string_view bare = Bare(word);
  if (bare.empty()) return false;
  if (ProperNouns().count(bare) > 0) return true;
  // "Anglo-American", "Sino-Japanese": every hyphenated part a proper noun.
  if (bare.find('-') != absl::string_view::npos) {
    for (absl::string_view part : absl::StrSplit(bare, '-')) {
      if (part.empty() || ProperNouns().count(part) == 0) return false;
    }
    return true;
  }
  return false;
}

size_t ProperNamePhraseLength(const std::vector<std::string>& words, size_t at) {
  size_t best = 0;
  // A common given name, then (particles and) a capitalised surname: "Jane Austen".
  const absl::string_view first = Bare(words[at]);
  if (at + 1 < words.size() && GivenNames().count(first) > 0 && words[at] == first) {
    size_t next = at + 1;
    while (next + 1 < words.size() && IsNameParticle(words[next])) ++next;
    absl::string_view surname = Bare(words[next]);
    if (!surname.empty() && surname.front() >= 'A' && surname.front() <= 'Z') best = next - at + 1;
  }
  auto phrases = PhrasesByFirstWord().find(first);
  if (phrases == PhrasesByFirstWord().end()) return best;
  for (const std::vector<std::string>& parts : phrases->second) {
    if (at + parts.size() > words.size() || parts.size() <= best) continue;
    bool match = true;
    for (size_t i = 1; i < parts.size() && match; ++i) {
      match = Bare(words[at + i]) == parts[i];
    }
    if (match) best = parts.size();
  }
  return best;
}

}  // namespace citecheck
