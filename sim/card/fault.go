package card

import "time"

// Eject simulates pulling the card: every operation that can fail returns ErrRemoved until Insert.
// The files stay on the medium. Armed faults stay armed.
func (c *Card) Eject() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ejected = true
}

// Insert puts the card back; the files written before Eject are there again.
func (c *Card) Insert() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ejected = false
}

// FailWrites arms a write fault: the next n writes that reach the medium fail with ErrWrite and leave
// nothing behind (an overwritten file keeps its old content). n <= 0 disarms it. It takes precedence
// over an armed tear, which stays armed for the write after.
func (c *Card) FailWrites(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failWrites = max(n, 0)
}

// TearNextWrite arms a power cut: the next write that reaches the medium writes only its first at bytes
// (all of them if at is larger; none if at is negative) in place under the final name, without the
// temp file and rename that make a normal write atomic, and returns ErrWrite. The torn file stays.
func (c *Card) TearNextWrite(at int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tearAt = max(at, 0)
}

// SetCapacity changes the capacity the card enforces, typically shrinking it to simulate a full card.
// Nothing is deleted when it drops below Used; writes are refused until there is room again. A
// negative n is taken as 0, a card with no room at all.
func (c *Card) SetCapacity(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.capacity = max(n, 0)
}

// Heal disarms pending write faults and tears. It does not insert an ejected card, and does not restore
// capacity: those are states a scenario changes explicitly with Insert and SetCapacity.
func (c *Card) Heal() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failWrites = 0
	c.tearAt = -1
	c.latency = 0
}

// SetLatency makes every write that reaches the medium take d of wall time (0 restores a fast
// card): a worn or failing card, which the camera's monitoring must notice (MON-1). Heal clears it.
func (c *Card) SetLatency(d time.Duration) {
	c.mu.Lock()
	c.latency = max(d, 0)
	c.mu.Unlock()
}
