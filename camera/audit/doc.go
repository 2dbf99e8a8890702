// Package audit is the camera's audit trail (catalogue requirements AUD-1 and AUD-2): every
// data-protection relevant action is recorded with who did it, what it was, when and from where, in a
// log that is tamper-evident and survives reboots and power loss. A certifier exports it through the
// API; the API layer calls Entries and Verify.
//
// # Files
//
// The log lives in one directory that holds two files:
//
//   - audit.log: one Entry per line, encoded as JSON (encoding/json of Entry) and ended by "\n".
//     Lines are only ever appended, each with a single write followed by fsync.
//   - audit.head: {"entries":N,"hash":"<hex>"}, the seq and hash of the last entry written
//     (0 and 64 zeros for an empty log). It is replaced atomically after every append (temp file,
//     fsync, rename, fsync of the directory), unless Open found it disagreeing with the log (see
//     below). A hash chain alone cannot show that its last entries were cut off; the head can.
//
// # Hash chain
//
// Every entry carries the hash of the entry before it (Prev; 64 zeros for entry 1) and its own Hash:
//
//	Hash = lowercase hex( SHA-256( Prev + "\n" + canonical ) )
//
// where canonical is the entry encoded by Go's encoding/json with Hash set to "" and Time in UTC:
// fields in the order seq, time, actor, source, action, target (left out when empty), outcome,
// detail (left out when empty; keys sorted), prev, hash; Time as RFC 3339 with nanoseconds, trailing
// zeros of the fraction dropped (time.RFC3339Nano, e.g. "2026-03-01T08:00:00.5Z"); strings escaped as
// encoding/json does (including <, > and & as \u003c, \u003e, \u0026). Verify also demands that every
// stored line is byte for byte the encoding of its entry, so an outside verifier does not need to
// re-encode anything: it takes each line without its newline, replaces the value of the final "hash"
// member by the empty string (the line ends in `"hash":"<64 hex>"}`; canonical ends in `"hash":""}`),
// and hashes Prev + "\n" + that.
//
// # What Verify detects, and what it cannot
//
// Editing any field of an entry breaks that entry's hash; deleting or reordering entries breaks the
// seq run and the prev links; cutting off the tail disagrees with audit.head; re-encoding a line
// without changing its meaning is reported as a line that is not canonical. The first failure is
// reported with its seq (or line number when no seq can be read) and a sentence saying what is wrong.
//
// The hashes are not keyed: someone who can write both files and recompute SHA-256 can rewrite the
// whole log consistently, and one correctly chained entry added after the head's last entry looks,
// after a reboot, exactly like the crash Open has to accept. The chain proves that the log is
// internally consistent; to prove that it is the log the camera wrote, an outside party has to keep
// a copy of the head (for example the certifier at each export) and compare later exports against it.
//
// # Crashes and tampering
//
// Open repairs what a power loss can leave behind and nothing else: an unreadable last line after
// the entry audit.head records is a torn write and is cut off; a head that lags the log by exactly
// one entry (a crash between the log write and the head rename) is brought up to date when the chain
// verifies. Everything else is left as found, because it is evidence: Open never refuses a tampered
// log (editing the log must not brick the camera), it keeps appending after the last readable entry,
// with a seq above every seq the log or the head has seen, and it leaves a head that disagreed with
// the log untouched, so that appending never makes a broken log verify again.
//
// One directory must be used by one Log at a time.
package audit
