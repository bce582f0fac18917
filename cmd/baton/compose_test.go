package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestComposeFile: deploy/docker-compose.yaml runs two identical replicas
// of serve on the PostgreSQL it starts, behind a proxy that reaches both.
// (Docker is not run here; this keeps the file honest as the code moves.)
func TestComposeFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "docker-compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Command     []string
			Environment map[string]string
			DependsOn   any `yaml:"depends_on"`
		}
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	var replicas []string
	for name, s := range c.Services {
		if strings.HasPrefix(name, "baton") {
			replicas = append(replicas, name)
			if !slices.Equal(s.Command, []string{"serve", "-config", "/etc/baton/config.yaml"}) || !strings.HasPrefix(s.Environment["DATABASE_URL"], "postgres://") {
				t.Errorf("%s: command %v, DATABASE_URL %q", name, s.Command, s.Environment["DATABASE_URL"])
			}
		}
	}
	if len(replicas) < 2 {
		t.Errorf("replicas %v, want two or more", replicas)
	}
	proxy := strings.Join(c.Services["proxy"].Command, " ")
	for _, r := range replicas {
		if !strings.Contains(proxy, "--to "+r+":8080") {
			t.Errorf("the proxy does not reach %s: %s", r, proxy)
		}
	}
	if _, ok := c.Services["postgres"]; !ok {
		t.Error("no postgres service")
	}
}
