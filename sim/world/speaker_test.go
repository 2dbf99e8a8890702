package world

import (
	"context"
	"testing"
)

func TestSpeakerKeepsWhatItPlayed(t *testing.T) {
	var s Speaker
	if err := s.Play(context.Background(), []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	got := s.Played()
	got[0][0] = 9
	if p := s.Played(); len(p) != 1 || p[0][0] != 1 {
		t.Fatalf("played %v: a caller's copy changed the record", p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Play(ctx, []byte{3}); err == nil || len(s.Played()) != 1 {
		t.Fatal("a cancelled message was played")
	}
}
