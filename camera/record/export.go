package record

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"vsslab/camera/state"
)

// Export writes a decrypted record where a person can look at it: dir/<record id>/meta.json and
// frame-0001.jpg, frame-0002.jpg, … . It is the client side of end-to-end encryption (`vsslab
// decrypt`): records fetched from a NAS become pictures again only here, with the keyword. Files are
// written atomically and readable by their owner only, since they hold what the encryption protected.
func Export(dir string, h Header, meta Meta, frames [][]byte) (string, error) {
	out := filepath.Join(dir, hex.EncodeToString(h.RecordID[:]))
	if err := os.MkdirAll(out, 0o700); err != nil {
		return "", fmt.Errorf("export record: %w", err)
	}
	doc := struct {
		Meta
		Encrypted bool `json:"encrypted"`
		Bucket    any  `json:"bucket,omitempty"`
	}{Meta: meta, Encrypted: meta.Encrypted}
	if h.Encrypted() {
		doc.Bucket = h.Bucket.UTC()
	}
	js, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return "", fmt.Errorf("export record: %w", err)
	}
	if err := state.WriteAtomic(filepath.Join(out, "meta.json"), append(js, '\n'), 0o600); err != nil {
		return "", fmt.Errorf("export record: %w", err)
	}
	for i, f := range frames {
		if err := state.WriteAtomic(filepath.Join(out, fmt.Sprintf("frame-%04d.jpg", i+1)), f, 0o600); err != nil {
			return "", fmt.Errorf("export record: %w", err)
		}
	}
	return out, nil
}
