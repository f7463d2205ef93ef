package queue

import (
	"strings"

	"github.com/cloudup/cloudup/core/transfer"
)

// rowRec is what the view keeps of one row. A large batch is mostly rows
// that wait or are finished, and for those a row shows only its name, size
// and state words: that much is kept, in an eighth of a whole
// transfer.ItemStatus, and Row asks the engine for the rest. A live row
// (checking, uploading, retrying, failed: speed, time left, the error and
// its actions), and any row the short form cannot give back exactly, keeps
// its whole status in View.whole; there are few of those at a time.
type rowRec struct {
	src   string // the file's path, or its URL when url
	total int64  // BytesTotal
	// nameAt: the row's name is src[nameAt:] (the engine names an item
	// after the end of its path or URL).
	nameAt uint32
	state  uint8 // index in rowStates
	words  uint8 // the state in words: index in commonWords, or oddWords
	kind   uint8 // the type icon, so a short row draws the one it had
	flags  uint8 // rowURL, rowWhole
}

const (
	rowURL   = 1 << iota // src is a URL
	rowWhole             // View.whole has the row's status
)

// commonWords are what most rows say; others are kept in View.odd.
var commonWords = [...]string{"", "queued", "done", "done (it was already on Cloudinary)", "canceled", "queued (resumed)"}

const oddWords = 255

func wordsCode(w string) uint8 {
	for i, c := range commonWords {
		if c == w {
			return uint8(i)
		}
	}
	return oddWords
}

func (r *rowRec) whole() bool { return r.flags&rowWhole != 0 }

// rowStates are the states a row's state indexes; the first shortStates
// can be short.
var rowStates = [...]transfer.State{transfer.Queued, transfer.Done, transfer.Skipped, transfer.Canceled,
	transfer.Checking, transfer.Uploading, transfer.Retrying, transfer.Failed}

const (
	shortStates  = 4
	unknownState = 255 // not one of rowStates: View.whole says
)

// Type icon kinds (typeIcon).
const (
	kindFile uint8 = iota
	kindImage
	kindVideo
	kindWeb
)

// setRow puts st in the k-th row: short when that loses nothing the row
// shows.
func (v *View) setRow(k int, st transfer.ItemStatus) {
	r := &v.rows[k]
	if r.words == oddWords {
		delete(v.odd, st.ID)
	}
	if s, ok := shortRow(st); ok {
		if r.whole() {
			delete(v.whole, st.ID)
		}
		*r = s
		if r.words == oddWords {
			v.odd[st.ID] = st.Words
		}
		return
	}
	if r.whole() {
		*v.whole[st.ID] = st
	} else {
		v.whole[st.ID] = &st
	}
	*r = rowRec{flags: rowWhole, state: stateCode(st.State)}
}

// addRow appends st's row.
func (v *View) addRow(st transfer.ItemStatus) {
	v.index[st.ID] = int32(len(v.ids))
	v.ids = append(v.ids, st.ID)
	v.rows = append(v.rows, rowRec{})
	v.setRow(len(v.rows)-1, st)
}

func stateCode(s transfer.State) uint8 {
	for i, rs := range rowStates {
		if rs == s {
			return uint8(i)
		}
	}
	return unknownState
}

// shortRow is st in short, if a short row draws exactly what st does.
func shortRow(st transfer.ItemStatus) (rowRec, bool) {
	r := rowRec{words: wordsCode(st.Words), total: st.BytesTotal, state: stateCode(st.State)}
	switch {
	case r.state >= shortStates:
		return rowRec{}, false
	case st.BytesDone != 0 && (st.State == transfer.Queued || st.State == transfer.Canceled):
		return rowRec{}, false // a bar part full: keep the bytes with the rest
	case st.Path != "" && st.URL != "":
		return rowRec{}, false
	case st.URL != "":
		r.src, r.flags = st.URL, rowURL
	default:
		r.src = st.Path
	}
	if !strings.HasSuffix(r.src, st.Name) || len(r.src) > 1<<31 {
		return rowRec{}, false
	}
	r.nameAt = uint32(len(r.src) - len(st.Name))
	r.kind = typeKind(st)
	return r, true
}

// rowState is the k-th row's state.
func (v *View) rowState(k int) transfer.State {
	if s := v.rows[k].state; s != unknownState {
		return rowStates[s]
	}
	return v.whole[v.ids[k]].State
}

// rowStatus is what the k-th row draws, as a status: the whole one where
// kept; for a short row, every field the row shows (the rest is the
// engine's).
func (v *View) rowStatus(k int) transfer.ItemStatus {
	r, id := &v.rows[k], v.ids[k]
	if r.whole() {
		return *v.whole[id]
	}
	st := transfer.ItemStatus{ID: id, Name: r.src[r.nameAt:], State: rowStates[r.state], BytesTotal: r.total}
	if r.words == oddWords {
		st.Words = v.odd[id]
	} else {
		st.Words = commonWords[r.words]
	}
	if r.flags&rowURL != 0 {
		st.URL = r.src
	} else {
		st.Path = r.src
	}
	if st.State == transfer.Done {
		st.BytesDone = st.BytesTotal // as the engine says of a done item
	}
	// The resource type stands for what chose the row's icon.
	switch r.kind {
	case kindImage:
		st.ResourceType = transfer.Image
	case kindVideo:
		st.ResourceType = transfer.Video
	}
	return st
}

// statusOf is what id's row shows (false: no such row).
func (v *View) statusOf(id transfer.ItemID) (transfer.ItemStatus, bool) {
	k, ok := v.index[id]
	if !ok {
		return transfer.ItemStatus{}, false
	}
	return v.rowStatus(int(k)), true
}

// fullStatus is id's whole status: a short row's from the engine (its link,
// public ID, checksum…), as long as the engine has it in the state the row
// shows; otherwise what the row shows.
func (v *View) fullStatus(id transfer.ItemID) (transfer.ItemStatus, bool) {
	k, ok := v.index[id]
	if !ok {
		return transfer.ItemStatus{}, false
	}
	st := v.rowStatus(int(k))
	if !v.rows[k].whole() && v.acct != nil {
		if full, ok := v.acct.Engine().Item(id); ok && full.State == st.State {
			return full, true
		}
	}
	return st, true
}

// reindex maps every id to its row again, after rows went away, and lets
// go of the whole statuses of rows that are gone.
func (v *View) reindex() {
	v.index = make(map[transfer.ItemID]int32, len(v.ids))
	for i, id := range v.ids {
		v.index[id] = int32(i)
	}
	for id := range v.whole {
		if _, ok := v.index[id]; !ok {
			delete(v.whole, id)
		}
	}
	for id := range v.odd {
		if _, ok := v.index[id]; !ok {
			delete(v.odd, id)
		}
	}
}
