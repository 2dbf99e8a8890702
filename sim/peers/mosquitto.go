package peers

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// MosquittoOptions configure the broker. With a Username the broker refuses anonymous clients and
// accepts only that user with Password. With TLS its only listener speaks MQTT over TLS (as on port
// 8883), so a client that does not do TLS cannot reach it at all.
type MosquittoOptions struct {
	Username string
	Password string
	TLS      bool
}

// Mosquitto is a running mosquitto broker on 127.0.0.1.
type Mosquitto struct {
	// Addr is host:port; BrokerURL is "tcp://" or, with TLS, "ssl://" + Addr for paho.
	Addr      string
	BrokerURL string
	// Cert is the broker's certificate when TLS is on, nil otherwise.
	Cert *ServerCert
	dir  string
	p    *process
}

// StartMosquitto starts mosquitto in the foreground with a temporary configuration.
func StartMosquitto(opts MosquittoOptions) (*Mosquitto, error) {
	bin, err := lookPath("mosquitto", "mosquitto")
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "vsslab-mosquitto-")
	if err != nil {
		return nil, fmt.Errorf("start mosquitto: %w", err)
	}
	// Started as root, mosquitto drops to its own user before reading the files, so they must be
	// readable by others (the password file holds only hashes, of a throwaway password).
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start mosquitto: %w", err)
	}
	conf := fmt.Sprintf("listener %d 127.0.0.1\npersistence false\n", port)
	var cert *ServerCert
	if opts.TLS {
		if cert, err = NewServerCert(); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("start mosquitto: %w", err)
		}
		certFile, keyFile, err := cert.writeFiles(dir)
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("start mosquitto: %w", err)
		}
		conf += "certfile " + certFile + "\nkeyfile " + keyFile + "\n"
	}
	if opts.Username != "" {
		pw, err := lookPath("mosquitto_passwd", "mosquitto")
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		file := filepath.Join(dir, "passwd")
		// -b takes the password on the command line; acceptable for a throwaway test broker.
		if out, err := exec.Command(pw, "-c", "-b", file, opts.Username, opts.Password).CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("start mosquitto: mosquitto_passwd: %w: %s", err, out)
		}
		if err := os.Chmod(file, 0o644); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("start mosquitto: %w", err)
		}
		conf += "allow_anonymous false\npassword_file " + file + "\n"
	} else {
		conf += "allow_anonymous true\n"
	}
	cfgFile := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(cfgFile, []byte(conf), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start mosquitto: %w", err)
	}
	p, err := startProcess("mosquitto", dir, bin, "-c", cfgFile)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	m := &Mosquitto{Addr: addr, BrokerURL: "tcp://" + addr, Cert: cert, dir: dir, p: p}
	if opts.TLS {
		m.BrokerURL = "ssl://" + addr
	}
	if err := p.waitReady(func() bool { return tcpUp(addr) }); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// Output returns what the broker has logged so far.
func (m *Mosquitto) Output() string { return m.p.out.String() }

// Close stops the broker and removes its configuration.
func (m *Mosquitto) Close() error {
	m.p.stop()
	return os.RemoveAll(m.dir)
}
