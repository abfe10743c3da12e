// A minimal SubjectAccessReview webhook written the way Go webhooks usually are: net/http
// (HTTP/2 over TLS, as ListenAndServeTLS offers it), encoding/json to decode the review and to
// encode the answer, and one trivial rule. It is the anchor `scripts/bench-e2e.sh` compares
// authz-chain with; it is not part of authz-chain.
//
//	go run . -addr 127.0.0.1:18802 -cert tls.crt -key tls.key
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"strings"
)

type resourceAttributes struct {
	Namespace   string `json:"namespace,omitempty"`
	Verb        string `json:"verb,omitempty"`
	Group       string `json:"group,omitempty"`
	Version     string `json:"version,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Name        string `json:"name,omitempty"`
}

type nonResourceAttributes struct {
	Path string `json:"path,omitempty"`
	Verb string `json:"verb,omitempty"`
}

type spec struct {
	ResourceAttributes    *resourceAttributes    `json:"resourceAttributes,omitempty"`
	NonResourceAttributes *nonResourceAttributes `json:"nonResourceAttributes,omitempty"`
	User                  string                 `json:"user,omitempty"`
	Groups                []string               `json:"groups,omitempty"`
	Extra                 map[string][]string    `json:"extra,omitempty"`
	UID                   string                 `json:"uid,omitempty"`
}

type status struct {
	Allowed         bool   `json:"allowed"`
	Denied          bool   `json:"denied,omitempty"`
	Reason          string `json:"reason,omitempty"`
	EvaluationError string `json:"evaluationError,omitempty"`
}

type review struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       spec   `json:"spec"`
	Status     status `json:"status"`
}

func authorize(w http.ResponseWriter, r *http.Request) {
	var sar review
	if err := json.NewDecoder(r.Body).Decode(&sar); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	allowed := false
	for _, g := range sar.Spec.Groups {
		if g == "system:masters" {
			allowed = true
		}
	}
	if a := sar.Spec.ResourceAttributes; a != nil && a.Verb == "get" && !strings.HasPrefix(a.Namespace, "kube-") {
		allowed = true
	}
	sar.Status = status{Allowed: allowed}
	if allowed {
		sar.Status.Reason = "allowed by the Go anchor"
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(&sar); err != nil {
		log.Printf("encode: %v", err)
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:18802", "listen address")
	cert := flag.String("cert", "tls.crt", "serving certificate (PEM)")
	key := flag.String("key", "tls.key", "serving key (PEM)")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", authorize)
	log.Printf("serving on %s", *addr)
	log.Fatal(http.ListenAndServeTLS(*addr, *cert, *key, mux))
}
