package notify

import (
	"math"
	"time"
)

// The audible code for a kind: the DTMF sequence "*", the kind's digit, "#", each symbol a tone of
// toneOn followed by toneOff of silence. A listener on the phone hears it; a test decodes it with a
// Goertzel filter, so the encoding is checked end to end at the receiving side.
const (
	sampleRate = 8000
	toneOn     = 160 * time.Millisecond
	toneOff    = 80 * time.Millisecond
	// groupGap separates repetitions of the sequence.
	groupGap = 400 * time.Millisecond
	// toneAmplitude per DTMF component, well below clipping when the two are added.
	toneAmplitude = 8000
)

// dtmf returns the low and high frequencies of a DTMF symbol (0-9, *, #).
func dtmf(sym byte) (low, high float64) {
	lows := [4]float64{697, 770, 852, 941}
	highs := [3]float64{1209, 1336, 1477}
	var row, col int
	switch {
	case sym >= '1' && sym <= '9':
		row, col = int(sym-'1')/3, int(sym-'1')%3
	case sym == '0':
		row, col = 3, 1
	case sym == '*':
		row, col = 3, 0
	default: // '#'
		row, col = 3, 2
	}
	return lows[row], highs[col]
}

// ToneSymbols is the DTMF sequence that signals kind.
func ToneSymbols(kind string) string {
	return "*" + string(rune('0'+KindDigit(kind))) + "#"
}

// RenderTone returns the kind's tone sequence, repeated repeat times, as G.711 µ-law at 8 kHz.
func RenderTone(kind string, repeat int) []byte {
	if repeat < 1 {
		repeat = 1
	}
	syms := ToneSymbols(kind)
	on := samples(toneOn)
	off := samples(toneOff)
	gap := samples(groupGap)
	out := make([]byte, 0, repeat*(len(syms)*(on+off)+gap))
	for r := 0; r < repeat; r++ {
		if r > 0 {
			out = appendSilence(out, gap)
		}
		for i := 0; i < len(syms); i++ {
			lo, hi := dtmf(syms[i])
			for n := 0; n < on; n++ {
				t := float64(n) / sampleRate
				v := toneAmplitude * (math.Sin(2*math.Pi*lo*t) + math.Sin(2*math.Pi*hi*t))
				out = append(out, MuLaw(int16(v)))
			}
			out = appendSilence(out, off)
		}
	}
	return out
}

func samples(d time.Duration) int { return int(d * sampleRate / time.Second) }

func appendSilence(b []byte, n int) []byte {
	for i := 0; i < n; i++ {
		b = append(b, MuLaw(0))
	}
	return b
}

// MuLaw encodes one linear 16-bit sample as G.711 µ-law (ITU-T G.711, with the 0x84 bias).
func MuLaw(s int16) byte {
	const bias, clip = 0x84, 32635
	x := int(s)
	sign := 0
	if x < 0 {
		x = -x
		sign = 0x80
	}
	if x > clip {
		x = clip
	}
	x += bias
	exp := 7
	for mask := 0x4000; x&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (x >> (exp + 3)) & 0x0f
	return ^byte(sign | exp<<4 | mant)
}
