package users

import (
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of the naming and password rules.
const (
	maxNameLen        = 32
	minPasswordLen    = 8
	maxPasswordLen    = 128
	minNameInPassword = 3 // shorter names are not searched for in passwords (see CheckPassword)
	minPatternLen     = 6 // shortest core that the all-one-character and sequence patterns judge
)

// factoryPassword is the password the camera ships with (from the vendor whitepaper). It is only ever
// hashed by FactoryAccounts and refused by CheckPassword.
const factoryPassword = "meinsm"

// Codes of PolicyError, stable for programs (the API layer returns them to clients).
const (
	codeInvalidName       = "invalid_name"
	codeTooShort          = "too_short"
	codeTooLong           = "too_long"
	codeInvalidCharacters = "invalid_characters"
	codeDefaultPassword   = "default_password"
	codeContainsName      = "contains_name"
	codeWeakPassword      = "weak_password"
	codeMissingClass      = "missing_class"
	codeUnchanged         = "unchanged"
)

// PolicyError is a refused password or name. Code is stable for programs; Message is one complete
// sentence for people. Neither ever contains the password, so the error may be logged and shown.
type PolicyError struct{ Code, Message string }

// Error returns the sentence for people; programs branch on Code via errors.As.
func (e *PolicyError) Error() string { return e.Message }

//go:embed weak.txt
var weakList string // one lower-case password a line; never modified

// checkName enforces the account-name syntax: 1–32 characters of [a-z0-9._-], starting with a letter or
// digit. Names are lower-case only so that "Admin" can never stand beside "admin", and free of control
// and separator characters so that they are safe in logs, URLs and the cache key.
func checkName(name string) error {
	ok := len(name) >= 1 && len(name) <= maxNameLen && isAlnum(name[0])
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = isAlnum(c) || c == '.' || c == '_' || c == '-'
	}
	if !ok {
		return &PolicyError{codeInvalidName, "The user name must be 1 to 32 characters long and use only " +
			"lower-case letters a-z, digits, dots, underscores and hyphens, starting with a letter or digit."}
	}
	if name == "anonymous" || name == "system" {
		// The audit trail uses these for public access and for the camera itself.
		return &PolicyError{codeInvalidName, "The user names \"anonymous\" and \"system\" are reserved."}
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// CheckPassword applies the password rules for an account called name at the given level and returns a
// *PolicyError for the first rule broken, or nil. Every level must use 8–128 characters without control
// characters, must not be or contain the factory default, must not contain the account name and must not
// be a known weak password or a trivial pattern; management accounts (user and admin, and any level that
// is not exactly Guest) must also mix upper-case, lower-case, digit and special characters.
//
// The factory-default rule is checked first because the factory password is also too short, and "this is
// the factory password" is the more useful thing to tell. The name rule skips names shorter than three
// characters: a password may contain "a" or "x1" without being guessable from the name.
func CheckPassword(name string, level Level, password string) error {
	lower := strings.ToLower(password)
	if strings.Contains(lower, factoryPassword) {
		return &PolicyError{codeDefaultPassword, "The password must not be or contain the factory default password."}
	}
	if !utf8.ValidString(password) || strings.ContainsFunc(password, unicode.IsControl) {
		return &PolicyError{codeInvalidCharacters, "The password must be valid text without control characters."}
	}
	switch n := utf8.RuneCountInString(password); {
	case n < minPasswordLen:
		return &PolicyError{codeTooShort, "The password must be at least 8 characters long."}
	case n > maxPasswordLen:
		return &PolicyError{codeTooLong, "The password must be at most 128 characters long."}
	}
	if utf8.RuneCountInString(name) >= minNameInPassword && strings.Contains(lower, strings.ToLower(name)) {
		return &PolicyError{codeContainsName, "The password must not contain the user name."}
	}
	if weak(lower) {
		return &PolicyError{codeWeakPassword, "The password is too common or too easy to guess; choose a less predictable one."}
	}
	if level.management() {
		if missing := missingClasses(password); missing != "" {
			return &PolicyError{codeMissingClass, "A password for a management account must also contain " + missing + "."}
		}
	}
	return nil
}

// weak reports whether a lower-cased password is a known weak password or a trivial pattern, either as a
// whole or after stripping the decoration people add to satisfy rules ("Password1!" is "password",
// "!12345678" is "12345678").
func weak(lower string) bool {
	notAlnum := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
	notLetter := func(r rune) bool { return !unicode.IsLetter(r) }
	for _, core := range []string{lower, strings.TrimFunc(lower, notAlnum), strings.TrimFunc(lower, notLetter)} {
		if core == "" {
			continue
		}
		if inWeakList(core) {
			return true
		}
		if utf8.RuneCountInString(core) >= minPatternLen && (oneCharacter(core) || sequence(core)) {
			return true
		}
	}
	return false
}

// inWeakList scans the embedded list; at about 200 short lines that is a few microseconds, and it keeps
// the package free of a mutable lookup table.
func inWeakList(lower string) bool {
	for line := range strings.Lines(weakList) {
		if strings.TrimSuffix(line, "\n") == lower {
			return true
		}
	}
	return false
}

func oneCharacter(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	return strings.TrimLeft(s, string(first)) == ""
}

// sequence reports whether every character is the one after (or every one is the one before) the
// previous character, as in "12345678", "abcdefgh" or "87654321".
func sequence(s string) bool {
	runes := []rune(s)
	up, down := true, true
	for i := 1; i < len(runes); i++ {
		up = up && runes[i] == runes[i-1]+1
		down = down && runes[i] == runes[i-1]-1
	}
	return up || down
}

// missingClasses names the character classes a management password lacks, as the end of a sentence
// ("an upper-case letter and a digit"), or returns "" when it has all four. Special characters are
// punctuation, symbols and spaces.
func missingClasses(password string) string {
	var upper, lower, digit, special bool
	for _, r := range password {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r):
			special = true
		}
	}
	var missing []string
	for _, c := range []struct {
		have bool
		name string
	}{{upper, "an upper-case letter"}, {lower, "a lower-case letter"}, {digit, "a digit"}, {special, "a special character"}} {
		if !c.have {
			missing = append(missing, c.name)
		}
	}
	switch len(missing) {
	case 0:
		return ""
	case 1:
		return missing[0]
	}
	return strings.Join(missing[:len(missing)-1], ", ") + " and " + missing[len(missing)-1]
}
