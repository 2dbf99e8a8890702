package jpeg

// Constant tables of ITU-T T.81 and the code that scales and compiles them.
// The tables are written out as the standard prints them so that a reviewer can
// check them against the document; everything derived from them is computed per
// Encoder, so the package holds no mutable state.

// zigzag[k] is the natural (row-major) index of the coefficient sent k-th in a
// block (T.81 Figure A.6). DQT segments and the entropy-coded data both use this order.
var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

// baseQuant are the example quantisation tables of T.81 Annex K.1 (Tables K.1 and
// K.2) in natural order: [0] luminance, [1] chrominance. Quality scaling follows
// the IJG convention, as image/jpeg and libjpeg do, so "quality 85" means the same
// bytes in DQT as other encoders produce.
var baseQuant = [2][64]uint8{
	{
		16, 11, 10, 16, 24, 40, 51, 61,
		12, 12, 14, 19, 26, 58, 60, 55,
		14, 13, 16, 24, 40, 57, 69, 56,
		14, 17, 22, 29, 51, 87, 80, 62,
		18, 22, 37, 56, 68, 109, 103, 77,
		24, 35, 55, 64, 81, 104, 113, 92,
		49, 64, 78, 87, 103, 121, 120, 101,
		72, 92, 95, 98, 112, 100, 103, 99,
	},
	{
		17, 18, 24, 47, 99, 99, 99, 99,
		18, 21, 26, 66, 99, 99, 99, 99,
		24, 26, 56, 99, 99, 99, 99, 99,
		47, 66, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
	},
}

// huffmanSpec is a Huffman table as DHT carries it: counts[i] codes of length
// i+1, assigned in order to the first sum(counts) values.
type huffmanSpec struct {
	counts [16]uint8
	values []uint8
}

// Indices of the four tables in standardHuffman, in the order DHT writes them.
const (
	lumaDC = iota
	lumaAC
	chromaDC
	chromaAC
)

// dhtClassID is the Tc/Th byte of each table of standardHuffman in DHT.
var dhtClassID = [4]uint8{0x00, 0x10, 0x01, 0x11}

// standardHuffman are the tables of T.81 Annex K.3 (Tables K.3 to K.6 with the
// values of K.5 and K.6 in the order of Table K.5's listing). RFC 2435 receivers
// that get no tables in-band assume exactly these, so the encoder never uses
// optimised tables.
var standardHuffman = [4]huffmanSpec{
	lumaDC: {
		counts: [16]uint8{0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0},
		values: []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
	},
	lumaAC: {
		counts: [16]uint8{0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d},
		values: []uint8{
			0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12,
			0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
			0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08,
			0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
			0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16,
			0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
			0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
			0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
			0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
			0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
			0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79,
			0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
			0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
			0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
			0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
			0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
			0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4,
			0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
			0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea,
			0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
			0xf9, 0xfa,
		},
	},
	chromaDC: {
		counts: [16]uint8{0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0},
		values: []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
	},
	chromaAC: {
		counts: [16]uint8{0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77},
		values: []uint8{
			0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21,
			0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
			0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91,
			0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
			0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34,
			0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
			0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38,
			0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
			0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
			0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
			0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78,
			0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
			0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96,
			0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
			0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
			0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
			0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2,
			0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
			0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9,
			0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
			0xf9, 0xfa,
		},
	},
}

// scaledQuant returns the quantisation tables for an IJG quality in natural order,
// with the same arithmetic as libjpeg's jpeg_quality_scaling and image/jpeg.
func scaledQuant(quality int) [2][64]uint8 {
	scale := 200 - 2*quality
	if quality < 50 {
		scale = 5000 / quality
	}
	var q [2][64]uint8
	for t := range baseQuant {
		for i, b := range baseQuant[t] {
			x := (int(b)*scale + 50) / 100
			q[t][i] = uint8(min(max(x, 1), 255))
		}
	}
	return q
}

// huffmanCode is a code word packed for the entropy coder: the code in the high
// 24 bits, its length in the low 8. A zero length marks a symbol the table lacks.
type huffmanCode uint32

// codes compiles the spec into a code for every symbol (T.81 Annex C, the
// canonical assignment), indexed by symbol.
func (s *huffmanSpec) codes() [256]huffmanCode {
	var out [256]huffmanCode
	code, k := uint32(0), 0
	for i, n := range s.counts {
		for range n {
			out[s.values[k]] = huffmanCode(code<<8 | uint32(i+1))
			code++
			k++
		}
		code <<= 1
	}
	return out
}

// HuffmanTable is one Huffman table as a DHT segment states it: Counts[i] codes of length i+1,
// assigned in order to Values. It is exported so that the RTP/JPEG depacketizer (camera/rtpjpeg),
// which rebuilds JPEG headers with these very tables, does not keep a second copy of them.
type HuffmanTable struct {
	Counts [16]uint8
	Values []uint8
}

// StandardHuffman returns the four tables of T.81 Annex K.3 in DHT order: luma DC, luma AC, chroma
// DC, chroma AC. They are copies: callers cannot change the encoder's tables.
func StandardHuffman() [4]HuffmanTable {
	var out [4]HuffmanTable
	for i, s := range standardHuffman {
		out[i] = HuffmanTable{Counts: s.counts, Values: append([]uint8(nil), s.values...)}
	}
	return out
}

// Zigzag returns the zig-zag order: element k is the natural (row-major) index of the k-th
// coefficient, the order of DQT segments and of RFC 2435 quantisation tables.
func Zigzag() [64]uint8 { return zigzag }

// QuantTables returns the luma and chroma quantisation tables, in natural order, for an IJG quality
// (clamped to 1..100). RFC 2435 Appendix A's Q factors 1..99 are this same scaling.
func QuantTables(quality int) [2][64]uint8 {
	return scaledQuant(max(1, min(100, quality)))
}
