package world

import (
	"context"
	"sync"
)

// Speaker is the simulated camera's loudspeaker: it keeps what it was asked to play, so a scenario
// can check an audio notification (MON-2) the way a person standing next to the camera would hear it.
type Speaker struct {
	mu     sync.Mutex
	played [][]byte
}

// Play records the G.711 µ-law audio; the simulated speaker plays instantly.
func (s *Speaker) Play(ctx context.Context, pcmu []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.played = append(s.played, append([]byte(nil), pcmu...))
	s.mu.Unlock()
	return nil
}

// Played returns every message played so far, oldest first.
func (s *Speaker) Played() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, len(s.played))
	for i, p := range s.played {
		out[i] = append([]byte(nil), p...)
	}
	return out
}
