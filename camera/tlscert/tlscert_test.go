package tlscert

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

type memStore map[string][]byte

func (m memStore) ReadFile(name string) ([]byte, error) {
	d, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("read %s: %w", name, fs.ErrNotExist)
	}
	return d, nil
}

func (m memStore) WriteFile(name string, data []byte) error {
	m[name] = append([]byte(nil), data...)
	return nil
}

var now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestCreateThenLoadKeepsTheIdentity(t *testing.T) {
	g := NewWithT(t)
	st := memStore{}
	a, err := LoadOrCreate(st, "SN1", now, []string{"localhost", "127.0.0.1"}, rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st).To(HaveKey(KeyFile))
	g.Expect(st).To(HaveKey(CertFile))
	b, err := LoadOrCreate(st, "SN1", now, nil, rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(b.SHA256).To(Equal(a.SHA256))

	leaf, err := x509.ParseCertificate(a.Certificate.Certificate[0])
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(leaf.DNSNames).To(ContainElement("localhost"))
	g.Expect(leaf.IPAddresses[0].Equal(net.ParseIP("127.0.0.1"))).To(BeTrue())
	g.Expect(leaf.Subject.SerialNumber).To(Equal("SN1"))
	g.Expect(Fingerprint(leaf.Raw)).To(Equal(a.SHA256))
}

func TestTwoCamerasNeverShareAKey(t *testing.T) {
	g := NewWithT(t)
	a, err := LoadOrCreate(memStore{}, "SN1", now, nil, rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	b, err := LoadOrCreate(memStore{}, "SN1", now, nil, rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a.SHA256).NotTo(Equal(b.SHA256))
}

func TestBrokenIdentityIsNotReplaced(t *testing.T) {
	g := NewWithT(t)
	st := memStore{}
	_, err := LoadOrCreate(st, "SN1", now, nil, rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	key := st[KeyFile]
	st[CertFile] = []byte("-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n")
	_, err = LoadOrCreate(st, "SN1", now, nil, rand.Reader)
	g.Expect(err).To(MatchError(ContainSubstring(CertFile)))
	g.Expect(st[KeyFile]).To(Equal(key), "the key must not be overwritten")

	delete(st, CertFile)
	_, err = LoadOrCreate(st, "SN1", now, nil, rand.Reader)
	g.Expect(err).To(MatchError(ContainSubstring("only one of")))
	g.Expect(st).NotTo(HaveKey(CertFile))
}

func TestReadErrorsOtherThanMissingAreReported(t *testing.T) {
	g := NewWithT(t)
	_, err := LoadOrCreate(failingStore{}, "SN1", now, nil, rand.Reader)
	g.Expect(err).To(MatchError(ContainSubstring("permission denied")))
}

type failingStore struct{}

func (failingStore) ReadFile(string) ([]byte, error) { return nil, fs.ErrPermission }
func (failingStore) WriteFile(string, []byte) error  { return errors.New("must not write") }

func TestServerConfigRefusesOldTLS(t *testing.T) {
	g := NewWithT(t)
	id, err := LoadOrCreate(memStore{}, "SN1", now, []string{"127.0.0.1"}, rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ServerConfig(func() *tls.Certificate { return &id.Certificate }))
	g.Expect(err).NotTo(HaveOccurred())
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	dial := func(v uint16) error {
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true, MinVersion: v, MaxVersion: v})
		if err == nil {
			c.Close()
		}
		return err
	}
	g.Expect(dial(tls.VersionTLS10)).To(HaveOccurred())
	g.Expect(dial(tls.VersionTLS11)).To(HaveOccurred())
	g.Expect(dial(tls.VersionTLS12)).To(Succeed())
	g.Expect(dial(tls.VersionTLS13)).To(Succeed())
}
