package card

import (
	"errors"
	"fmt"

	"vsslab/camera/store"
)

// Medium is the card as the camera's record store sees it (store.Medium): the same files, with the
// card's full and not-found errors also reported as the store's, so the camera can tell a full card
// (DEL-4: stop recording, delete nothing) from a failing one.
type Medium struct{ *Card }

var _ store.Medium = Medium{}

// Names lists the card's record files.
func (m Medium) Names() ([]string, error) {
	files, err := m.List()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Name
	}
	return out, nil
}

// Write stores a record; a full card's error also matches store.ErrFull.
func (m Medium) Write(name string, data []byte) error {
	return translate(m.Card.Write(name, data))
}

// Read returns a record; a missing file's error also matches store.ErrNotFound.
func (m Medium) Read(name string) ([]byte, error) {
	b, err := m.Card.Read(name)
	return b, translate(err)
}

func translate(err error) error {
	switch {
	case errors.Is(err, ErrFull):
		return fmt.Errorf("%w: %w", store.ErrFull, err)
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	return err
}
