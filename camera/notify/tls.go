package notify

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// TrustConfig says which server certificate a channel accepts. Empty, it trusts the system's roots,
// as a browser would; CAPEM replaces them with the given CA certificates; PinSHA256 accepts only the
// certificate whose DER has that SHA-256 (hex, colons allowed), which is how a camera trusts a
// self-signed mail server without trusting anyone else. With both, both must hold.
type TrustConfig struct {
	CAPEM     string `json:"ca_pem,omitempty"`
	PinSHA256 string `json:"pin_sha256,omitempty"`
}

// ParsePin decodes a SHA-256 pin given as hex, with or without colons.
func ParsePin(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
	if err != nil {
		return nil, fmt.Errorf("pin is not hex: %w", err)
	}
	if len(b) != sha256.Size {
		return nil, fmt.Errorf("pin has %d bytes, want %d", len(b), sha256.Size)
	}
	return b, nil
}

// parseCAPEM reads one or more CERTIFICATE blocks into a pool.
func parseCAPEM(s string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(s)) {
		return nil, errors.New("no certificate found in PEM")
	}
	return pool, nil
}

// clientTLS builds the TLS configuration for connecting to serverName under tc.
func (tc TrustConfig) clientTLS(serverName string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	var pool *x509.CertPool
	if tc.CAPEM != "" {
		p, err := parseCAPEM(tc.CAPEM)
		if err != nil {
			return nil, fmt.Errorf("ca_pem: %w", err)
		}
		pool = p
		cfg.RootCAs = p
	}
	if tc.PinSHA256 == "" {
		return cfg, nil
	}
	pin, err := ParsePin(tc.PinSHA256)
	if err != nil {
		return nil, fmt.Errorf("pin_sha256: %w", err)
	}
	// The pin replaces name and chain checks (a pinned self-signed certificate has no chain), so
	// Go's verification is turned off and VerifyConnection does the whole job.
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("server sent no certificate")
		}
		leaf := cs.PeerCertificates[0]
		sum := sha256.Sum256(leaf.Raw)
		if subtle.ConstantTimeCompare(sum[:], pin) != 1 {
			return fmt.Errorf("server certificate sha256 %x does not match the pinned one", sum)
		}
		if pool != nil {
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, DNSName: hostOnly(serverName)}); err != nil {
				return fmt.Errorf("server certificate: %w", err)
			}
		}
		return nil
	}
	return cfg, nil
}

// hostOnly drops brackets so an IPv6 literal verifies against the certificate's IP SANs.
func hostOnly(h string) string { return strings.Trim(h, "[]") }

// validate checks tc's fields, naming them under prefix.
func (tc TrustConfig) validate(prefix string) error {
	var errs []error
	if tc.CAPEM != "" {
		if _, err := parseCAPEM(tc.CAPEM); err != nil {
			errs = append(errs, fmt.Errorf("%s.ca_pem: %w", prefix, err))
		}
	}
	if tc.PinSHA256 != "" {
		if _, err := ParsePin(tc.PinSHA256); err != nil {
			errs = append(errs, fmt.Errorf("%s.pin_sha256: %w", prefix, err))
		}
	}
	return errors.Join(errs...)
}

// transport checks a channel's tls setting and its trust. Empty means the first of modes, the
// channel's default; "none" is accepted only without a password, since it would send it in clear;
// anything else must be one of modes.
func transport(mode, password string, tc TrustConfig, host string, modes ...string) (string, error) {
	switch {
	case mode == "":
		mode = modes[0]
	case mode == "none":
		if password != "" {
			return "", errors.New("refusing to send a password without tls")
		}
	case !slices.Contains(modes, mode):
		return "", fmt.Errorf("tls %q is not one of %s, none", mode, strings.Join(modes, ", "))
	}
	if _, err := tc.clientTLS(host); err != nil {
		return "", err
	}
	return mode, nil
}
