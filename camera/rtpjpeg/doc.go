// Package rtpjpeg carries baseline JPEG images over RTP as RFC 2435 describes.
//
// The reference camera streams Motion-JPEG from its RTSP server, and vsslab's
// scenarios receive that same stream to check, in what actually left the
// camera, that privacy masks were applied. pion/rtp, which does the RTP
// framing, has no JPEG payloader, so this package supplies one in the shape of
// pion's codecs: a [Payloader] for rtp.NewPacketizer, and a [Depacketizer]
// that puts frames back together into JPEG files image/jpeg can decode.
//
// RFC 2435 sends only the entropy-coded scan plus a few header fields; the
// receiver rebuilds the JPEG headers itself with the standard Huffman tables.
// So the payloader accepts only images a receiver can rebuild exactly:
// baseline, 8-bit, YCbCr with 4:2:0 or 4:2:2 sampling, standard Huffman
// tables, at most 2040×2040 pixels. It always sends its quantisation tables
// in-band (Q = 255) in the first packet of every frame, which is what ffmpeg
// needs to decode the stream.
package rtpjpeg
