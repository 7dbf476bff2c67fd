
	has space	"x2gpt-unknown