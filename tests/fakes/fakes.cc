// Anchor translation unit for the header-only fakes.
#include "tests/fakes/fake_clock.h"
