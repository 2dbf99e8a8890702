package notify

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

type recordingSpeaker struct {
	played [][]byte
	err    error
}

func (s *recordingSpeaker) Play(_ context.Context, pcmu []byte) error {
	s.played = append(s.played, append([]byte(nil), pcmu...))
	return s.err
}

func TestAudioPlaysKindTone(t *testing.T) {
	spk := &recordingSpeaker{}
	a, err := NewAudio(spk, AudioConfig{Repeat: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Send(context.Background(), Message{Kind: KindStorageFailure}); err != nil {
		t.Fatal(err)
	}
	if len(spk.played) != 1 || !bytes.Equal(spk.played[0], RenderTone(KindStorageFailure, 1)) {
		t.Fatal("speaker did not play the storage_failure tone")
	}
	if got := detectSymbols(spk.played[0]); got != "*3#" {
		t.Fatalf("heard %q", got)
	}
}

func TestAudioReportsSpeakerError(t *testing.T) {
	a, _ := NewAudio(&recordingSpeaker{err: errors.New("amp off")}, AudioConfig{})
	if err := a.Send(context.Background(), Message{Kind: KindMotion}); err == nil {
		t.Fatal("speaker error lost")
	}
	if _, err := NewAudio(nil, AudioConfig{}); err == nil {
		t.Fatal("nil speaker accepted")
	}
}
