// Package transform turns an original image and a Cloudinary transformation
// string into the encoded bytes the sandbox delivers: it parses delivery
// transformations ("c_fill,g_auto,w_400,h_300/f_auto,q_auto"), applies them
// to real pixels and encodes the result as JPEG, PNG, WebP, GIF, BMP or TIFF.
//
// It owns the transformation grammar, the pixel operations and the choice of
// output format. It must not route requests, read or write storage, check
// URL signatures or cache results: the sandbox server does those and calls
// Parse once per URL and Render once per cache miss. It never imports Fyne.
//
// Approximations, so nobody mistakes them for Cloudinary's own results:
//   - g_auto picks the crop window that holds the most visual saliency
//     (gradient energy plus distance from the image's mean colour); g_face
//     and g_faces use the same estimate, as there is no face detector here.
//   - e_background_removal is not Cloudinary's AI model. It estimates the
//     background from the colours along the image border, flood-fills the
//     pixels connected to the border that are close to those colours within a
//     tolerance learnt from the border's noise, and feathers the mask. It works
//     for objects shot on a plain backdrop and fails on busy backgrounds or on
//     objects that touch the border.
//   - WebP output is lossless (the pure-Go encoder has no lossy mode), so q_
//     only changes JPEG output.
//   - f_auto chooses between WebP, PNG and JPEG only; AVIF and other formats
//     are refused with a 400-style *Error rather than faked. Because WebP is
//     lossless here, opaque images over AutoWebPMaxPixels get JPEG even when
//     the client accepts WebP (see AutoFormat).
//   - c_thumb crops like c_fill around the saliency window (no face zoom);
//     bo_ grows the canvas by the border's width on every side.
//   - An animated GIF is rendered from its first frame, like any still.
//
// Everything a URL controls is bounded before pixels are allocated: at most
// MaxComponents components, MaxSide pixels per side and MaxPixels in all.
package transform
