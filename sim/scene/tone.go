package scene

import (
	"math/bits"
	"time"
)

// samplePeriod is one G.711 sample at 8 kHz.
const samplePeriod = time.Second / 8000

// Tone is the simulated microphone: a steady sine tone (its pitch, 300..1100 Hz in steps of 100, chosen
// by seed) at about -12 dBFS with low noise, as G.711 µ-law at 8 kHz, for the samples at times in
// [from, to) — sample n is at n/8000 s. Samples depend only on their time, so consecutive intervals join
// seamlessly and an audio scenario can check exactly what a recording or stream should contain. An
// empty interval gives no samples. Integer math throughout, so the bytes are the same everywhere.
func Tone(seed int64, from, to time.Duration) []byte {
	n0, n1 := ceilDiv(from, samplePeriod), ceilDiv(to, samplePeriod)
	if n1 <= n0 {
		return []byte{}
	}
	hz := toneHz(seed)
	noiseSeed := mix64(uint64(seed) ^ 0x70e5)
	out := make([]byte, n1-n0)
	for i := range out {
		n := n0 + int64(i)
		s := sine(n, hz) + int(mix64(noiseSeed+uint64(n)*0x9e3779b97f4a7c15)%257) - 128
		out[i] = ulaw(s)
	}
	return out
}

// toneHz is the tone's pitch for a seed.
func toneHz(seed int64) int64 {
	return 300 + int64(mix64(uint64(seed))%9)*100
}

// ceilDiv is the smallest n with n*p >= d (p > 0).
func ceilDiv(d, p time.Duration) int64 {
	q := int64(d / p)
	if d%p > 0 {
		q++
	}
	return q
}

// toneAmp is the tone's peak in 16-bit PCM: a quarter of full scale, -12 dBFS.
const toneAmp = 8192

// sine is sample n of a sine at hz, sampled at 8 kHz, in 16-bit PCM, by Bhaskara's rational
// approximation (within 0.2 % of full scale) in integers: sin(πu) ≈ 16u(1-u) / (5 - 4u(1-u)).
func sine(n, hz int64) int {
	phase := (n%8000*hz%8000 + 8000) % 8000 // position in the cycle, in 1/8000ths
	neg := phase >= 4000
	if neg {
		phase -= 4000
	}
	a := phase * (4000 - phase) // u(1-u) scaled by 4000²
	v := int(toneAmp * 16 * a / (5*4000*4000 - 4*a))
	if neg {
		return -v
	}
	return v
}

// ulaw encodes a 16-bit PCM sample as G.711 µ-law (ITU-T G.711, as in the classic linear2ulaw).
func ulaw(s int) byte {
	const bias, clip = 0x84, 32635
	sign := 0
	if s < 0 {
		s, sign = -s, 0x80
	}
	s = min(s, clip) + bias
	exp := bits.Len(uint(s>>7)) - 1
	mant := (s >> (exp + 3)) & 0x0f
	return ^byte(sign | exp<<4 | mant)
}
