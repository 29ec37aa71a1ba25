package admin

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"
)

// routeOps registers the operations routes, /metrics, /healthz and
// /readyz, ahead of the key route that would otherwise take their paths,
// and measures every matched route for /metrics. They need no
// credentials: scrapers and load balancers call them, and they show no
// data.
func (s *Server) routeOps(r *mux.Router) {
	if s.cfg.Metrics != nil {
		r.Handle("/metrics", s.cfg.Metrics.Handler()).Methods(http.MethodGet)
		r.Use(s.measure)
	}
	r.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet)
	r.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet)
}

// measure counts each request by its route's pattern ("/{key}", not the
// key), method and status.
func (s *Server) measure(next http.Handler) http.Handler {
	m := s.cfg.Metrics.HTTP()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := "unknown"
		if cur := mux.CurrentRoute(r); cur != nil {
			if t, err := cur.GetPathTemplate(); err == nil {
				route = t
			}
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		m.Observe(route, r.Method, sw.code, time.Since(start))
	})
}

// statusWriter remembers the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
