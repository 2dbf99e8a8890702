package rtpjpeg

import "vsslab/camera/jpeg"

// huffmanSpec is one Huffman table as a DHT segment states it: how many codes
// there are of each length from 1 to 16 bits, then the symbols in code order.
type huffmanSpec struct {
	counts [16]byte
	values []byte
}

// equal reports whether s is the same table as o, symbol for symbol.
func (s huffmanSpec) equal(o huffmanSpec) bool {
	if s.counts != o.counts || len(s.values) != len(o.values) {
		return false
	}
	for i := range s.values {
		if s.values[i] != o.values[i] {
			return false
		}
	}
	return true
}

// standardTables are the standard Huffman tables of ITU-T T.81 Annex K.3 (tables K.3 to K.6), in
// DHT order: luma DC, luma AC, chroma DC, chroma AC. RFC 2435 does not carry Huffman tables: a
// receiver rebuilds the JPEG with these (RFC 2435 Appendix B), so a sender may only send images coded
// with them. They come from the camera's encoder (camera/jpeg), so the two never disagree.
func standardTables() [4]huffmanSpec {
	var out [4]huffmanSpec
	for i, t := range jpeg.StandardHuffman() {
		out[i] = huffmanSpec{counts: t.Counts, values: t.Values}
	}
	return out
}

// qTablesForQ returns the luma then chroma quantisation tables, in zig-zag
// order, that RFC 2435 Appendix A derives from a Q factor of 1 to 99 (out of
// range values are clamped, as Appendix A does).
//
// Appendix A's sample code indexes the natural-order Annex K tables straight
// into the output, but the tables are used as DQT contents, which are in
// zig-zag order (RFC 2435 errata). Like ffmpeg and GStreamer, this reorders
// them, so an image rebuilt here dequantises the way those receivers do.
func qTablesForQ(q uint8) [2 * 64]byte {
	tables := jpeg.QuantTables(max(1, min(99, int(q))))
	zz := jpeg.Zigzag()
	var out [2 * 64]byte
	for zig, natural := range zz {
		out[zig] = tables[0][natural]
		out[64+zig] = tables[1][natural]
	}
	return out
}
