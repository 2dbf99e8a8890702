package record

import (
	"fmt"

	"golang.org/x/crypto/argon2"
)

// KDFParams are the argon2id cost parameters turning a keyword into the key encryption key. They are
// stored in the keyring beside the salt so a client can repeat the derivation years later even if
// the camera's defaults have changed since.
type KDFParams struct {
	Time      uint32 `json:"time"`       // passes over memory
	MemoryKiB uint32 `json:"memory_kib"` // memory in KiB
	Threads   uint8  `json:"threads"`    // lanes (parallelism)
}

// Bounds on KDFParams. The floors are deliberately low so tests can run cheap derivations; the
// ceilings stop a crafted keyring file from making a camera or client allocate gigabytes or spin for
// minutes (the parameters come from outside input when a keyring is opened).
const (
	MinKDFTime      = 1
	MaxKDFTime      = 16
	MinKDFMemoryKiB = 64
	MaxKDFMemoryKiB = 1 << 20 // 1 GiB
	MinKDFThreads   = 1
	MaxKDFThreads   = 16
	saltLen         = 16
)

// DefaultKDF returns the parameters a camera uses for a new keyring: t=3, m=64 MiB, p=1, a cost a
// camera SoC pays once per boot or keyword change, and a guesser pays per guess.
func DefaultKDF() KDFParams { return KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 1} }

// Validate refuses parameters outside the bounds above, including a memory size too small for the
// number of lanes (argon2 needs 8 KiB per lane and would silently raise it otherwise).
func (p KDFParams) Validate() error {
	switch {
	case p.Time < MinKDFTime || p.Time > MaxKDFTime:
		return fmt.Errorf("kdf time %d outside [%d, %d]", p.Time, MinKDFTime, MaxKDFTime)
	case p.MemoryKiB < MinKDFMemoryKiB || p.MemoryKiB > MaxKDFMemoryKiB:
		return fmt.Errorf("kdf memory %d KiB outside [%d, %d]", p.MemoryKiB, MinKDFMemoryKiB, MaxKDFMemoryKiB)
	case p.Threads < MinKDFThreads || p.Threads > MaxKDFThreads:
		return fmt.Errorf("kdf threads %d outside [%d, %d]", p.Threads, MinKDFThreads, MaxKDFThreads)
	case p.MemoryKiB < 8*uint32(p.Threads):
		return fmt.Errorf("kdf memory %d KiB below 8 KiB per thread (%d threads)", p.MemoryKiB, p.Threads)
	}
	return nil
}

// deriveMaster runs argon2id(keyword, salt, p) to 32 bytes: the root from which the keyring's check,
// MAC and wrapping keys are derived. The caller has validated p and the salt length.
func deriveMaster(keyword string, salt []byte, p KDFParams) []byte {
	return argon2.IDKey([]byte(keyword), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
}
