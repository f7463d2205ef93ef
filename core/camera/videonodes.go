package camera

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// videoNodeInfo is what a node says about itself; ok is false when it could
// not be asked (no permission, not a V4L2 node, not Linux).
type videoNodeInfo struct {
	card    string
	capture bool
	ok      bool
}

// listVideoNodes lists /dev/videoN capture nodes. A UVC webcam creates two
// nodes, one for pictures and one for metadata; the metadata node is left
// out when the node can be asked (VIDIOC_QUERYCAP). A node that cannot be
// asked is listed anyway: opening it then explains what is wrong (typically
// a permission problem), which beats a silently empty list.
func listVideoNodes(devDir, sysDir string) []Device {
	paths, _ := filepath.Glob(filepath.Join(devDir, "video*"))
	sort.Slice(paths, func(i, j int) bool {
		ni, nj := videoNodeNumber(paths[i]), videoNodeNumber(paths[j])
		if ni != nj {
			return ni < nj
		}
		return paths[i] < paths[j]
	})
	var out []Device
	for _, p := range paths {
		if videoNodeNumber(p) < 0 {
			continue // video-something that is not a numbered node
		}
		info := queryVideoNode(p)
		if info.ok && !info.capture {
			continue
		}
		name := info.card
		if name == "" {
			name = sysfsName(sysDir, filepath.Base(p))
		}
		if name == "" {
			name = filepath.Base(p)
		}
		out = append(out, Device{ID: p, Name: name, Driver: "ffmpeg"})
	}
	return out
}

// sysfsName reads /sys/class/video4linux/videoN/name, which needs no access
// to the device itself.
func sysfsName(sysDir, node string) string {
	b, err := os.ReadFile(filepath.Join(sysDir, node, "name"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
