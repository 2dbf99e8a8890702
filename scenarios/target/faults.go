package target

import "time"

// CardWriteFaults is a bench that can make the card's next writes fail (a failing medium), on top of
// the Card capability (MON-1).
type CardWriteFaults interface {
	FailCardWrites(n int)
	// SlowCard makes every write take d of wall time (0: a healthy card again).
	SlowCard(d time.Duration)
}

// Speaker is a target whose loudspeaker the bench can hear: what the camera played, as G.711 µ-law
// (MON-2's audio message).
type Speaker interface {
	SpeakerPlayed() [][]byte
}

var (
	_ CardWriteFaults = (*Sim)(nil)
	_ Speaker         = (*Sim)(nil)
)

// FailCardWrites makes the card's next n writes fail.
func (s *Sim) FailCardWrites(n int) { s.card().FailWrites(n) }

// SlowCard makes the card's writes take d of wall time.
func (s *Sim) SlowCard(d time.Duration) { s.card().SetLatency(d) }

// SpeakerPlayed is what the simulated camera's loudspeaker played.
func (s *Sim) SpeakerPlayed() [][]byte { return s.world().Speaker.Played() }
