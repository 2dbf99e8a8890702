package rtpjpeg

import "errors"

// Sentinel errors, so that callers can tell a bad input from one this format
// cannot carry, and a hostile stream from a lossy one. Returned errors wrap
// them with the detail.
var (
	// ErrInvalidJPEG means the bytes given to the payloader are not a
	// well-formed JPEG: truncated, garbage, missing markers or tables.
	ErrInvalidJPEG = errors.New("invalid JPEG")

	// ErrUnsupportedJPEG means a well-formed JPEG that RFC 2435 cannot carry
	// (or that a receiver could not rebuild exactly): progressive,
	// grayscale, 4:4:4, 12-bit, custom Huffman tables, larger than 2040
	// pixels, larger than MaxFrameSize.
	ErrUnsupportedJPEG = errors.New("JPEG not supported by RFC 2435")

	// ErrMTUTooSmall means the MTU leaves no room for scan data after the
	// RTP/JPEG headers of the first packet.
	ErrMTUTooSmall = errors.New("MTU too small for RTP/JPEG")

	// ErrMalformedPacket means an RTP packet whose payload is not a usable
	// RFC 2435 payload, or does not fit the frame it claims to belong to.
	ErrMalformedPacket = errors.New("malformed RTP/JPEG packet")

	// ErrFrameTooLarge means a frame being reassembled would exceed
	// MaxFrameSize; the frame is dropped.
	ErrFrameTooLarge = errors.New("RTP/JPEG frame too large")
)
