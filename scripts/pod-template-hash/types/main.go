// Derives src/controllers/deployment/generated/pod-template-go-types.json: the Go type graph reachable
// from core/v1 PodTemplateSpec, by reflection (type names, struct field order, JSON names, inlined
// structs), which is what spew needs to print a value and so what the pod-template-hash depends on.
//
//	cd scripts/pod-template-hash && go run ./types | node -e 'process.stdout.write(JSON.stringify(JSON.parse(require("fs").readFileSync(0))))' > ../../src/controllers/deployment/generated/pod-template-go-types.json
package main

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"

	v1 "k8s.io/api/core/v1"
)

type Field struct {
	Name   string `json:"name"`
	JSON   string `json:"json,omitempty"`
	Inline bool   `json:"inline,omitempty"`
	Type   string `json:"type"`
}

type Type struct {
	Kind   string  `json:"kind"`
	Elem   string  `json:"elem,omitempty"`
	Key    string  `json:"key,omitempty"`
	Fields []Field `json:"fields,omitempty"`
}

var types = map[string]Type{}

func visit(t reflect.Type) string {
	name := t.String()
	if _, ok := types[name]; ok {
		return name
	}
	switch t.String() {
	case "resource.Quantity", "v1.Time", "intstr.IntOrString":
		types[name] = Type{Kind: "special"}
		return name
	}
	switch t.Kind() {
	case reflect.Ptr:
		types[name] = Type{Kind: "ptr"}
		types[name] = Type{Kind: "ptr", Elem: visit(t.Elem())}
	case reflect.Slice:
		types[name] = Type{Kind: "slice"}
		types[name] = Type{Kind: "slice", Elem: visit(t.Elem())}
	case reflect.Map:
		types[name] = Type{Kind: "map"}
		types[name] = Type{Kind: "map", Key: visit(t.Key()), Elem: visit(t.Elem())}
	case reflect.Struct:
		types[name] = Type{Kind: "struct"}
		var fs []Field
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("json"), ",")
			fd := Field{Name: f.Name, Type: visit(f.Type)}
			if f.Anonymous && len(tag) > 1 && tag[1] == "inline" || f.Anonymous && tag[0] == "" {
				fd.Inline = true
			} else {
				fd.JSON = tag[0]
			}
			fs = append(fs, fd)
		}
		types[name] = Type{Kind: "struct", Fields: fs}
	default:
		types[name] = Type{Kind: t.Kind().String()}
	}
	return name
}

func main() {
	root := visit(reflect.TypeOf(v1.PodTemplateSpec{}))
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	_ = enc.Encode(map[string]interface{}{"source": "k8s.io/api v0.33.0 core/v1 PodTemplateSpec, by reflection", "root": root, "types": types})
}
