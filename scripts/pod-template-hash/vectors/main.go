// Test vectors for src/controllers/deployment/hash.ts. Reads a JSON array of pod templates (as
// kube-apiserver serves them) on stdin, decodes each as kube-controller-manager sees it (JSON, then a
// protobuf round trip), and prints the fixture test/controllers/fixtures/pod-template-hash.json: each
// template with its dump.ForHash printing and pod-template-hash, as the deployment controller computes
// them, without and with collisionCount 1.
//
//	cd scripts/pod-template-hash && go run ./vectors < templates.json > ../../test/controllers/fixtures/pod-template-hash.json
package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"os"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/dump"
	"k8s.io/apimachinery/pkg/util/rand"
)

type vector struct {
	Template json.RawMessage `json:"template"`
	Dump     string          `json:"dump"`
	Hash     string          `json:"hash"`
	Hash1    string          `json:"hashWithCollisionCount1"`
}

func hash(s string, cc *int32) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%v", s)
	if cc != nil {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(*cc))
		h.Write(b)
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}

func main() {
	b, _ := io.ReadAll(os.Stdin)
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		panic(err)
	}
	var res []vector
	one := int32(1)
	for _, r := range raws {
		var j v1.PodTemplateSpec
		if err := json.Unmarshal(r, &j); err != nil {
			panic(err)
		}
		// kube-controller-manager reads from kube-apiserver in protobuf: round-trip through it.
		data, err := j.Marshal()
		if err != nil {
			panic(err)
		}
		var t v1.PodTemplateSpec
		if err := t.Unmarshal(data); err != nil {
			panic(err)
		}
		s := dump.ForHash(t)
		res = append(res, vector{Template: r, Dump: s, Hash: hash(s, nil), Hash1: hash(s, &one)})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	_ = enc.Encode(map[string]interface{}{
		"source":  "scripts/pod-template-hash/vectors: kube-controller-manager 1.33's hashing (k8s.io/api, k8s.io/apimachinery v0.33.0)",
		"vectors": res,
	})
}
