// Package tlscert makes and keeps the camera's own TLS identity.
//
// Every camera gets its own key, made at first start and kept in the state directory, so no two
// cameras share a private key (EN 303 645 5.4) and a factory reset, which destroys the key, gives the
// camera a new identity that a client notices.
package tlscert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"time"
)

// Files are the names, inside the state directory, of the key and certificate.
const (
	KeyFile  = "tls/key.pem"
	CertFile = "tls/cert.pem"
)

// Store is where the key and certificate live; camera/state.Dir satisfies it.
type Store interface {
	ReadFile(name string) ([]byte, error)
	WriteFile(name string, data []byte) error
}

// Identity is a loaded key pair with its fingerprint.
type Identity struct {
	Certificate tls.Certificate
	// SHA256 is the hex SHA-256 of the DER certificate: what a client pins after first contact.
	SHA256 string
}

// Validity is how long a self-signed certificate is valid. Cameras run for years without anyone to
// renew a certificate; the client pins the fingerprint rather than trusting the dates.
const Validity = 10 * 365 * 24 * time.Hour

// LoadOrCreate returns the camera's identity, making a new ECDSA P-256 key and self-signed
// certificate (for the given host names and addresses) when the store has none. A key or certificate
// that exists but does not parse is an error naming the file: the camera never silently replaces its
// identity.
func LoadOrCreate(st Store, serial string, now time.Time, hosts []string, random io.Reader) (Identity, error) {
	keyPEM, kerr := st.ReadFile(KeyFile)
	certPEM, cerr := st.ReadFile(CertFile)
	switch {
	case kerr == nil && cerr == nil:
		id, err := parse(certPEM, keyPEM)
		if err != nil {
			return Identity{}, fmt.Errorf("load TLS identity from %s and %s: %w", KeyFile, CertFile, err)
		}
		return id, nil
	case isNotExist(kerr) && isNotExist(cerr):
		return create(st, serial, now, hosts, random)
	case kerr != nil && !isNotExist(kerr):
		return Identity{}, fmt.Errorf("load TLS key: %w", kerr)
	case cerr != nil && !isNotExist(cerr):
		return Identity{}, fmt.Errorf("load TLS certificate: %w", cerr)
	default:
		return Identity{}, fmt.Errorf("load TLS identity: only one of %s and %s exists; restore the other or factory-reset the camera", KeyFile, CertFile)
	}
}

func isNotExist(err error) bool {
	return err != nil && errors.Is(err, fs.ErrNotExist)
}

func create(st Store, serial string, now time.Time, hosts []string, random io.Reader) (Identity, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), random)
	if err != nil {
		return Identity{}, fmt.Errorf("generate TLS key: %w", err)
	}
	sn, err := randSerial(random)
	if err != nil {
		return Identity{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: "vsslab camera " + serial, Organization: []string{"vsslab reference camera"}, SerialNumber: serial},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(Validity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(random, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return Identity{}, fmt.Errorf("create TLS certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return Identity{}, fmt.Errorf("encode TLS key: %w", err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	// Key first: a crash between the two writes leaves a key without a certificate, which the next
	// start reports instead of silently making a second identity.
	if err := st.WriteFile(KeyFile, keyPEM); err != nil {
		return Identity{}, fmt.Errorf("store TLS key: %w", err)
	}
	if err := st.WriteFile(CertFile, certPEM); err != nil {
		return Identity{}, fmt.Errorf("store TLS certificate: %w", err)
	}
	return parse(certPEM, keyPEM)
}

func randSerial(random io.Reader) (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(random, b); err != nil {
		return nil, fmt.Errorf("certificate serial: %w", err)
	}
	b[0] &= 0x7f
	return new(big.Int).SetBytes(b), nil
}

func parse(certPEM, keyPEM []byte) (Identity, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return Identity{}, err
	}
	if len(cert.Certificate) == 0 {
		return Identity{}, errors.New("no certificate in PEM data")
	}
	sum := sha256.Sum256(cert.Certificate[0])
	return Identity{Certificate: cert, SHA256: hex.EncodeToString(sum[:])}, nil
}

// Fingerprint is the hex SHA-256 of a DER certificate, as clients compute it to pin the camera.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// ServerConfig is the camera's TLS policy: TLS 1.2 at least (TLS 1.0 and 1.1 handshakes fail, TLS-1),
// only AEAD cipher suites with forward secrecy for TLS 1.2, and the certificate the camera holds at the
// moment of each handshake (it changes after a factory reset without restarting the listener).
func ServerConfig(current func() *tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,
		},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			c := current()
			if c == nil {
				return nil, errors.New("the camera has no TLS identity yet")
			}
			return c, nil
		},
	}
}
