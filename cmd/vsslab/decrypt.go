package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"vsslab/camera/record"
	"vsslab/camera/store"
)

func decryptCommand() *cobra.Command {
	var keyword, keywordFile, keyringPath, out string
	cmd := &cobra.Command{
		Use:   "decrypt --keyword-file F [--keyring FILE] --out DIR RECORD...",
		Short: "Decrypt records fetched from a NAS into JPEG frames and metadata (the client side of end-to-end encryption)",
		Long: `Turns the camera's records (as found on its NAS) back into JPEG frames and a meta.json per record,
with the storage keyword. The keyring (keyring-gN.json, which the camera keeps next to the records; it
holds only wrapped keys) is read from --keyring, or else from each record's folder: keyring-gN.json
for a record named gN-…, or keyring.json.
The keyword comes from --keyword-file (safer: it stays out of the shell history and the process
list), the VSSLAB_KEYWORD environment variable, or --keyword.
Exit code: 0 all records decrypted, 1 some record was damaged, tampered with or past its deletion
period, 2 usage error or wrong keyword.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			kw, err := readKeyword(keyword, keywordFile)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if out == "" {
				return &exitError{code: 2, err: errors.New("--out DIR is required")}
			}
			rings := keyrings{explicit: keyringPath, keyword: kw, open: map[string]*record.Keyring{}}
			failed := 0
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", f, err)
					failed++
					continue
				}
				h, herr := record.ReadHeader(data)
				var k *record.Keyring
				if herr == nil && h.Encrypted() {
					if k, err = rings.forRecord(f); err != nil {
						return err
					}
				}
				meta, frames, err := record.Open(k, data)
				if herr != nil || err != nil {
					if err == nil {
						err = herr
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", f, explain(err, k == nil))
					failed++
					continue
				}
				dir, err := record.Export(out, h, meta, frames)
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				note := ""
				if !meta.Encrypted {
					note = " (this record was not encrypted)"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %d frames, %s to %s -> %s%s\n", f, len(frames),
					meta.Start.UTC().Format("2006-01-02T15:04:05Z"), meta.End.UTC().Format("2006-01-02T15:04:05Z"), dir, note)
			}
			if failed > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d of %d records could not be decrypted", failed, len(files))}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&keyword, "keyword", "", "the storage keyword (prefer --keyword-file or VSSLAB_KEYWORD)")
	f.StringVar(&keywordFile, "keyword-file", "", "a file whose first line is the storage keyword")
	f.StringVar(&keyringPath, "keyring", "", "the camera's keyring file (default: keyring-gN.json next to each record)")
	f.StringVar(&out, "out", "", "directory for the decrypted frames and metadata")
	return cmd
}

func readKeyword(flag, file string) (string, error) {
	switch {
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read keyword file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	case os.Getenv("VSSLAB_KEYWORD") != "":
		return os.Getenv("VSSLAB_KEYWORD"), nil
	case flag != "":
		return flag, nil
	}
	return "", errors.New("no keyword: use --keyword-file FILE, VSSLAB_KEYWORD or --keyword")
}

// explain says in a sentence why a record could not be decrypted.
func explain(err error, noKeyring bool) string {
	switch {
	case errors.Is(err, record.ErrTorn):
		return "the record is incomplete (cut short, e.g. by a power cut during the transfer)"
	case errors.Is(err, record.ErrTampered):
		return "the record is damaged or was altered: it does not authenticate"
	case errors.Is(err, record.ErrKeyDestroyed):
		return "the record is past its deletion period: its key was destroyed"
	case errors.Is(err, record.ErrNeedKeyring) || (noKeyring && errors.Is(err, record.ErrUnknownBucket)):
		return "the record is encrypted and no keyring was found (use --keyring)"
	case errors.Is(err, record.ErrUnknownBucket):
		return "the keyring has no key for this record (another camera's record, or another keyring)"
	case errors.Is(err, record.ErrUnsupported):
		return "the record was written by a newer firmware (unsupported format version)"
	}
	return err.Error()
}

// keyrings opens the keyrings records need, once each: a record named gN-… was sealed under the
// camera's N-th keyword, whose keyring the camera copies beside it as keyring-gN.json.
type keyrings struct {
	explicit string
	keyword  string
	open     map[string]*record.Keyring
}

func (r *keyrings) forRecord(file string) (*record.Keyring, error) {
	path := r.explicit
	if path == "" {
		dir, base := filepath.Dir(file), filepath.Base(file)
		path = filepath.Join(dir, "keyring.json")
		if gen, ok := store.Generation(base); ok && gen > 0 {
			if p := filepath.Join(dir, store.NASKeyringName(gen)); fileExists(p) {
				path = p
			}
		}
	}
	if k, ok := r.open[path]; ok {
		return k, nil
	}
	stored, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		r.open[path] = nil // Open then says the record needs a keyring
		return nil, nil
	}
	if err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("read keyring: %w", err)}
	}
	k, err := record.OpenKeyring(stored, r.keyword, nil)
	if err != nil {
		if errors.Is(err, record.ErrWrongKeyword) {
			return nil, &exitError{code: 2, err: fmt.Errorf("the keyword does not open %s", path)}
		}
		return nil, &exitError{code: 2, err: fmt.Errorf("keyring %s: %w", path, err)}
	}
	r.open[path] = k
	return k, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
