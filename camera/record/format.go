package record

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Record format constants (docs/formats.md, "Record").
const (
	// Version is the record format version written by Seal and SealPlain.
	Version = 1
	// HeaderLen is the size of the fixed clear header that precedes the nonce.
	HeaderLen = 36
	// MaxPayload bounds a record's payload (metadata plus frames). It keeps a damaged length field from
	// making a reader allocate gigabytes; an event longer than this is split into several records.
	MaxPayload  = 1 << 30
	recordIDLen = 16
)

const magic = "VSSR"

// Meta is the metadata of a recorded event, stored as JSON inside the encrypted payload, so a NAS
// learns nothing about what was recorded or when beyond the bucket it falls in.
type Meta struct {
	Start      time.Time `json:"start"`           // first frame
	End        time.Time `json:"end"`             // last frame
	FrameCount int       `json:"frame_count"`     // number of frames; Seal fills it when zero
	Kind       string    `json:"kind"`            // event kind: "motion", "manual", "alarm-input", ...
	Masks      []string  `json:"masks,omitempty"` // privacy masks applied to the frames before sealing
	Camera     string    `json:"camera,omitempty"`
	// FrameTimes are the frames' capture times, so playback shows each frame at its moment and a
	// certifier can compare every frame with what the sensor saw then. Empty or one per frame.
	FrameTimes []time.Time `json:"frame_times,omitempty"`
	// PlaybackMasks are the areas, in frame pixels, that playback pixelates for viewers without the
	// right to remove them (MASK-5). They are not burnt into the frames, so they live only inside the
	// encrypted payload.
	PlaybackMasks []Region `json:"playback_masks,omitempty"`
	// Encrypted is set by Open from the record header, never stored: it lets a client flag records
	// made before a keyword was set (or planted in clear on the NAS) as unencrypted.
	Encrypted bool `json:"-"`
}

// Region is a pixel rectangle of a frame with the pixelation tile a viewer without the right sees.
type Region struct {
	X    int `json:"x"`
	Y    int `json:"y"`
	W    int `json:"w"`
	H    int `json:"h"`
	Tile int `json:"tile"`
}

// Header is the clear part of a record: only what is needed to find the record's key and its end.
type Header struct {
	Version    uint8
	Cipher     Cipher
	Bucket     time.Time // bucket start (UTC); zero for unencrypted records
	RecordID   [recordIDLen]byte
	PayloadLen uint32 // length of the (encrypted) payload, without nonce and tag
}

// NonceLen returns the nonce (IV) length for the header's cipher.
func (h Header) NonceLen() int { _, n, _, _ := cipherByID(mustID(h.Cipher)); return n }

// TagLen returns the length of the trailing authentication tag (or checksum, for plain records).
func (h Header) TagLen() int { _, _, t, _ := cipherByID(mustID(h.Cipher)); return t }

// Size returns the total length of the record the header describes, so records can be stored back
// to back and split without decrypting.
func (h Header) Size() int { return HeaderLen + h.NonceLen() + int(h.PayloadLen) + h.TagLen() }

// Encrypted reports whether the record is encrypted (cipher other than None).
func (h Header) Encrypted() bool { return h.Cipher != None }

func mustID(c Cipher) byte { id, _ := cipherID(c); return id }

// Seal encrypts one event under the key of the bucket containing bucket (any time inside it; the
// bucket is created on first use) and returns the record bytes. meta.FrameCount must be zero (Seal
// fills it) or len(frames). random supplies the record id and nonce.
func Seal(k *Keyring, bucket time.Time, meta Meta, frames [][]byte, random io.Reader) ([]byte, error) {
	if k == nil {
		return nil, errors.New("seal record: nil keyring")
	}
	payload, err := buildPayload(&meta, frames)
	if err != nil {
		return nil, fmt.Errorf("seal record: %w", err)
	}
	if random == nil {
		return nil, errors.New("seal record: nil random source")
	}
	start := k.startOf(bucket)
	bkey, err := k.key(start, true)
	if err != nil {
		return nil, fmt.Errorf("seal record: %w", err)
	}
	h := Header{Version: Version, Cipher: k.cipher, Bucket: time.Unix(start, 0).UTC(), PayloadLen: uint32(len(payload))}
	if _, err := io.ReadFull(random, h.RecordID[:]); err != nil {
		return nil, fmt.Errorf("seal record: read record id: %w", err)
	}
	a, err := newAEAD(k.cipher, recordKey(bkey, h))
	if err != nil {
		return nil, fmt.Errorf("seal record: %w", err)
	}
	out := make([]byte, 0, h.Size())
	out = appendHeader(out, h)
	nonce := make([]byte, a.nonceLen())
	if _, err := io.ReadFull(random, nonce); err != nil {
		return nil, fmt.Errorf("seal record: read nonce: %w", err)
	}
	ad := bytes.Clone(out) // the clear header; GCM forbids ad overlapping dst
	out = append(out, nonce...)
	return a.seal(out, nonce, payload, ad), nil
}

// SealPlain builds an unencrypted record (cipher None) for events recorded before a keyword was set.
// Its payload is in clear but a SHA-256 checksum still lets Open tell torn and damaged records apart
// from good ones; it is not protection against deliberate edits.
func SealPlain(meta Meta, frames [][]byte, random io.Reader) ([]byte, error) {
	payload, err := buildPayload(&meta, frames)
	if err != nil {
		return nil, fmt.Errorf("seal plain record: %w", err)
	}
	if random == nil {
		return nil, errors.New("seal plain record: nil random source")
	}
	h := Header{Version: Version, Cipher: None, PayloadLen: uint32(len(payload))}
	if _, err := io.ReadFull(random, h.RecordID[:]); err != nil {
		return nil, fmt.Errorf("seal plain record: read record id: %w", err)
	}
	out := make([]byte, 0, h.Size())
	out = appendHeader(out, h)
	out = append(out, payload...)
	sum := sha256.Sum256(out)
	return append(out, sum[:]...), nil
}

// ReadHeader parses the clear header of the whole record b without any key. It checks everything that
// can be checked in clear: magic, version, cipher, sizes and total length. A record cut short at any
// byte yields ErrTorn (with the header filled in when its fixed part is complete); bytes that cannot
// be a prefix of a valid record yield ErrTampered; a newer format version yields ErrUnsupported.
func ReadHeader(b []byte) (Header, error) {
	var h Header
	n := min(len(b), len(magic))
	if string(b[:n]) != magic[:n] {
		return h, fmt.Errorf("read record header: %w: bad magic", ErrTampered)
	}
	if len(b) > 4 {
		switch v := b[4]; {
		case v == 0:
			return h, fmt.Errorf("read record header: %w: version 0", ErrTampered)
		case v > Version:
			return h, fmt.Errorf("read record header: %w: version %d", ErrUnsupported, v)
		}
	}
	var nonceLen, tagLen int
	if len(b) > 5 {
		c, nl, tl, ok := cipherByID(b[5])
		if !ok {
			return h, fmt.Errorf("read record header: %w: unknown cipher id %d", ErrTampered, b[5])
		}
		h.Cipher, nonceLen, tagLen = c, nl, tl
	}
	if len(b) > 6 && int(b[6]) != nonceLen {
		return h, fmt.Errorf("read record header: %w: nonce length %d for %s", ErrTampered, b[6], h.Cipher)
	}
	if len(b) > 7 && int(b[7]) != tagLen {
		return h, fmt.Errorf("read record header: %w: tag length %d for %s", ErrTampered, b[7], h.Cipher)
	}
	if len(b) >= 16 && h.Cipher == None && binary.BigEndian.Uint64(b[8:16]) != 0 {
		return h, fmt.Errorf("read record header: %w: bucket id in a plain record", ErrTampered)
	}
	if len(b) >= HeaderLen && binary.BigEndian.Uint32(b[32:36]) > MaxPayload {
		return h, fmt.Errorf("read record header: %w: payload length over %d", ErrTampered, MaxPayload)
	}
	if len(b) < HeaderLen {
		return Header{}, fmt.Errorf("read record header: %w: %d of %d header bytes", ErrTorn, len(b), HeaderLen)
	}
	h.Version = b[4]
	if h.Cipher != None {
		h.Bucket = time.Unix(int64(binary.BigEndian.Uint64(b[8:16])), 0).UTC()
	}
	copy(h.RecordID[:], b[16:32])
	h.PayloadLen = binary.BigEndian.Uint32(b[32:36])
	switch size := h.Size(); {
	case len(b) < size:
		return h, fmt.Errorf("read record header: %w: %d of %d bytes", ErrTorn, len(b), size)
	case len(b) > size:
		return h, fmt.Errorf("read record header: %w: %d bytes after the record", ErrTampered, len(b)-size)
	}
	return h, nil
}

// Open verifies and decrypts a record. k may be nil for unencrypted records (Meta.Encrypted is false
// for them). Nothing is returned unless the whole record, header included, authenticates. Errors:
// ErrTorn, ErrTampered, ErrUnsupported, ErrKeyDestroyed, ErrUnknownBucket, ErrNeedKeyring.
func Open(k *Keyring, b []byte) (Meta, [][]byte, error) {
	h, err := ReadHeader(b)
	if err != nil {
		return Meta{}, nil, fmt.Errorf("open record: %w", err)
	}
	body := b[HeaderLen+h.NonceLen():]
	var payload []byte
	if h.Cipher == None {
		split := len(b) - plainTagLen
		sum := sha256.Sum256(b[:split])
		if !hmac.Equal(sum[:], b[split:]) {
			return Meta{}, nil, fmt.Errorf("open record: %w: checksum mismatch", ErrTampered)
		}
		payload = b[HeaderLen:split]
	} else {
		if k == nil {
			return Meta{}, nil, fmt.Errorf("open record: %w", ErrNeedKeyring)
		}
		if h.Cipher != k.cipher {
			return Meta{}, nil, fmt.Errorf("open record: %w: record cipher %s, keyring cipher %s", ErrTampered, h.Cipher, k.cipher)
		}
		start := h.Bucket.Unix()
		if k.startOf(h.Bucket) != start {
			return Meta{}, nil, fmt.Errorf("open record: %w: bucket id not a bucket start", ErrTampered)
		}
		bkey, err := k.key(start, false)
		if err != nil {
			return Meta{}, nil, fmt.Errorf("open record: %w", err)
		}
		a, err := newAEAD(h.Cipher, recordKey(bkey, h))
		if err != nil {
			return Meta{}, nil, fmt.Errorf("open record: %w", err)
		}
		ad := b[:HeaderLen]
		p, ok := a.open(b[HeaderLen:HeaderLen+h.NonceLen()], body, ad)
		if !ok {
			return Meta{}, nil, fmt.Errorf("open record: %w: authentication failed", ErrTampered)
		}
		payload = p
	}
	meta, frames, err := parsePayload(payload)
	if err != nil {
		return Meta{}, nil, fmt.Errorf("open record: %w: %w", ErrTampered, err)
	}
	meta.Encrypted = h.Cipher != None
	return meta, frames, nil
}

// recordKey derives the record's own key: HMAC(bucketKey, "vsslab/v1/record" || cipher id || record
// id). A key per record makes nonce reuse across records impossible, which matters for XTEA's 64-bit
// counter blocks.
func recordKey(bucketKey []byte, h Header) []byte {
	return hmacSum(bucketKey, labelRecordKey, []byte{mustID(h.Cipher)}, h.RecordID[:])
}

func appendHeader(out []byte, h Header) []byte {
	id := mustID(h.Cipher)
	_, nl, tl, _ := cipherByID(id)
	out = append(out, magic...)
	out = append(out, h.Version, id, byte(nl), byte(tl))
	var bucket int64
	if h.Cipher != None {
		bucket = h.Bucket.Unix()
	}
	out = binary.BigEndian.AppendUint64(out, uint64(bucket))
	out = append(out, h.RecordID[:]...)
	return binary.BigEndian.AppendUint32(out, h.PayloadLen)
}

// buildPayload encodes u32 metaLen || meta JSON || u32 frameCount || (u32 len || frame)*.
func buildPayload(meta *Meta, frames [][]byte) ([]byte, error) {
	if meta.FrameCount == 0 {
		meta.FrameCount = len(frames)
	}
	switch {
	case meta.FrameCount != len(frames):
		return nil, fmt.Errorf("meta says %d frames, got %d", meta.FrameCount, len(frames))
	case meta.Kind == "":
		return nil, errors.New("meta without event kind")
	case meta.End.Before(meta.Start):
		return nil, errors.New("meta end before start")
	case len(meta.FrameTimes) != 0 && len(meta.FrameTimes) != len(frames):
		return nil, fmt.Errorf("meta has %d frame times for %d frames", len(meta.FrameTimes), len(frames))
	}
	js, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("encode meta: %w", err)
	}
	size := 8 + len(js)
	for _, f := range frames {
		size += 4 + len(f)
	}
	if size > MaxPayload {
		return nil, fmt.Errorf("payload of %d bytes over %d", size, MaxPayload)
	}
	p := make([]byte, 0, size)
	p = binary.BigEndian.AppendUint32(p, uint32(len(js)))
	p = append(p, js...)
	p = binary.BigEndian.AppendUint32(p, uint32(len(frames)))
	for _, f := range frames {
		p = binary.BigEndian.AppendUint32(p, uint32(len(f)))
		p = append(p, f...)
	}
	return p, nil
}

func parsePayload(p []byte) (Meta, [][]byte, error) {
	var m Meta
	next := func(what string) ([]byte, error) {
		if len(p) < 4 {
			return nil, fmt.Errorf("payload: %s length missing", what)
		}
		n := binary.BigEndian.Uint32(p)
		p = p[4:]
		if uint64(n) > uint64(len(p)) {
			return nil, fmt.Errorf("payload: %s length %d over remaining %d", what, n, len(p))
		}
		out := p[:n:n]
		p = p[n:]
		return out, nil
	}
	js, err := next("meta")
	if err != nil {
		return m, nil, err
	}
	if err := json.Unmarshal(js, &m); err != nil {
		return Meta{}, nil, fmt.Errorf("payload: meta: %w", err)
	}
	if len(p) < 4 {
		return Meta{}, nil, errors.New("payload: frame count missing")
	}
	count := binary.BigEndian.Uint32(p)
	p = p[4:]
	if uint64(count)*4 > uint64(len(p)) {
		return Meta{}, nil, fmt.Errorf("payload: %d frames cannot fit", count)
	}
	frames := make([][]byte, 0, count)
	for range count {
		f, err := next("frame")
		if err != nil {
			return Meta{}, nil, err
		}
		frames = append(frames, f)
	}
	if len(p) != 0 {
		return Meta{}, nil, fmt.Errorf("payload: %d bytes after the frames", len(p))
	}
	if m.FrameCount != len(frames) {
		return Meta{}, nil, fmt.Errorf("payload: meta says %d frames, found %d", m.FrameCount, len(frames))
	}
	return m, frames, nil
}
