package notify

import (
	"context"
	"errors"
	"fmt"
)

// Speaker plays G.711 µ-law audio at 8 kHz on the camera's loudspeaker.
type Speaker interface {
	Play(ctx context.Context, pcmu []byte) error
}

// AudioConfig is an audio-message channel on the camera's speaker.
type AudioConfig struct {
	// Repeat is how many times the tone sequence is played; 0 means 3.
	Repeat int `json:"repeat,omitempty"`
}

// Audio plays the kind's tone sequence (the same one a telephone call plays) on the speaker.
type Audio struct {
	spk    Speaker
	repeat int
}

// NewAudio checks its arguments and returns the channel.
func NewAudio(spk Speaker, cfg AudioConfig) (*Audio, error) {
	if spk == nil {
		return nil, errors.New("audio: a speaker is required")
	}
	if cfg.Repeat < 0 || cfg.Repeat > 20 {
		return nil, fmt.Errorf("audio: repeat %d out of 0..20", cfg.Repeat)
	}
	if cfg.Repeat == 0 {
		cfg.Repeat = 3
	}
	return &Audio{spk: spk, repeat: cfg.Repeat}, nil
}

// Kind returns "audio".
func (a *Audio) Kind() string { return "audio" }

// Send plays m's tone sequence.
func (a *Audio) Send(ctx context.Context, m Message) error {
	if err := a.spk.Play(ctx, RenderTone(m.Kind, a.repeat)); err != nil {
		return fmt.Errorf("audio: play: %w", err)
	}
	return nil
}
