// Package users is the camera's directory of user accounts (catalogue requirements AUTH-1, AUTH-2,
// AUTH-3 and AUTH-5): three access levels, the factory admin account and the knowledge that its password
// is still the factory one, the password rules, lockout after repeated failed logins, and argon2id
// password hashes.
//
// The package keeps the directory in memory only. The camera persists Store.Records itself and hands
// them back to NewStore at start; lockout counters and the verification cache deliberately live in
// memory only, so a reboot never turns them into a file that could leak or be tampered with.
package users
