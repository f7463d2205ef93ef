package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// apiError is an answer in Cloudinary's error shape,
// {"error":{"message":…}}, with Cloudinary's status code.
type apiError struct {
	status     int
	msg        string
	retryAfter time.Duration // sets Retry-After when >0
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, format, args...)
}

func notFound(format string, args ...any) *apiError {
	return errorf(http.StatusNotFound, format, args...)
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"message":"the sandbox could not encode its answer"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

type errorBody struct {
	Error struct {
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers with err in Cloudinary's shape. Errors that are not
// *apiError are the sandbox's own failures: 500 with the message.
func (s *Server) writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, new(*probeInterrupted)):
		s.logf("sandbox: %v", err)
		ae = &apiError{status: http.StatusServiceUnavailable, retryAfter: time.Second,
			msg: "The sandbox was stopped while reading this video (it is shutting down or overloaded): send it again; nothing was stored"}
	case diskFull(err):
		s.logf("sandbox: disk full: %v", err)
		ae = errorf(http.StatusInternalServerError, "The sandbox's disk is full (its data folder is %s): free some space, then send the request again; nothing stored so far is lost", s.dir)
	default:
		s.logf("sandbox: internal error: %v", err)
		ae = errorf(http.StatusInternalServerError, "Internal sandbox error: %v", err)
	}
	if ae.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((ae.retryAfter+time.Second-1)/time.Second)))
	}
	var b errorBody
	b.Error.Message = ae.msg
	writeJSON(w, ae.status, b)
}
