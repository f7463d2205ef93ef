//go:build !linux

package camera

// queryVideoNode cannot ask a node outside Linux (the BSDs' V4L2 emulation
// differs); the node is listed by name and opening it tells the rest.
func queryVideoNode(string) videoNodeInfo { return videoNodeInfo{} }
