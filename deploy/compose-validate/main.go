// compose-validate loads a Compose file the way `docker compose config` does, with compose-go
// (the library Docker Compose itself uses), so CI can check docker-compose.yml on a machine with
// no Docker engine: full JSON-schema validation, variable interpolation (a `${VAR:?message}`
// whose variable is unset fails), merge keys and anchors, and the model's consistency
// (depends_on naming a missing service, a volume or network that is not declared…). With
// -dockerfile it also parses a Dockerfile with BuildKit's parser and build checks.
//
//	compose-validate [-env-file FILE]… [-dotenv] [-os-env] [-project-name NAME] [-json] [-dockerfile FILE] docker-compose.yml…
//
// Interpolation reads only the -env-file files unless -dotenv (the .env beside the file) or
// -os-env (this process's environment) ask for what `docker compose` also reads, so CI's
// answer does not depend on the machine.
//
// On success it prints "ok: <file>: N services" (or, with -json, the resolved project as JSON,
// for further checks by scripts/validate-compose.ts) and exits 0; on any problem it prints the
// loader's message on stderr and exits 1.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var envFiles multiFlag
	flag.Var(&envFiles, "env-file", "an env file for interpolation (repeatable); default: none")
	name := flag.String("project-name", "", "project name (default: the compose file's name: or its folder)")
	asJSON := flag.Bool("json", false, "print the resolved project as JSON")
	osEnv := flag.Bool("os-env", false, "also interpolate from this process's environment (as `docker compose` does)")
	dotEnv := flag.Bool("dotenv", false, "also read the .env file beside the compose file (as `docker compose` does)")
	dockerfile := flag.String("dockerfile", "", "also parse and check this Dockerfile (BuildKit's parser and build checks)")
	flag.Parse()
	files := flag.Args()
	if *dockerfile != "" {
		msg, err := validateDockerfile(*dockerfile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "invalid: %v\n", err)
			os.Exit(1)
		}
		if len(files) == 0 {
			fmt.Println(msg)
			return
		}
		fmt.Fprintln(os.Stderr, msg)
	}
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "usage: compose-validate [-env-file FILE]… [-dotenv] [-os-env] [-project-name NAME] [-json] [-dockerfile FILE] docker-compose.yml…")
		os.Exit(2)
	}
	if err := run(files, envFiles, *name, *asJSON, *osEnv, *dotEnv); err != nil {
		fmt.Fprintf(os.Stderr, "invalid: %s: %s\n", strings.Join(files, ", "), explain(err))
		os.Exit(1)
	}
}

func run(files, envFiles []string, name string, asJSON, osEnv, dotEnv bool) error {
	for _, f := range append(append([]string{}, files...), envFiles...) {
		if _, err := os.Stat(f); err != nil {
			return err
		}
	}
	workDir, err := filepath.Abs(filepath.Dir(files[0]))
	if err != nil {
		return err
	}
	opts := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(workDir),
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
		cli.WithConsistency(true),
	}
	if dotEnv {
		if _, err := os.Stat(filepath.Join(workDir, ".env")); err == nil {
			envFiles = append(envFiles, filepath.Join(workDir, ".env"))
		}
	}
	if len(envFiles) > 0 {
		// WithDotEnv reads the files WithEnvFiles named; without them it would read .env.
		opts = append(opts, cli.WithEnvFiles(envFiles...), cli.WithDotEnv)
	}
	if osEnv {
		opts = append(opts, cli.WithOsEnv)
	}
	if name != "" {
		opts = append(opts, cli.WithName(name))
	}
	options, err := cli.NewProjectOptions(files, opts...)
	if err != nil {
		return err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return err
	}
	if len(project.Services) == 0 {
		return fmt.Errorf("no services")
	}
	if asJSON {
		out, err := project.MarshalJSON()
		if err != nil {
			return err
		}
		fmt.Println(string(out))
		return nil
	}
	names := make([]string, 0, len(project.Services))
	for n := range project.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Printf("ok: %s: %d services (%s)\n", strings.Join(files, ", "), len(names), strings.Join(names, ", "))
	return nil
}

// explain rewords the one schema message that names no cause: a key the Compose specification
// does not define fails its "additionalProperties: false" rule, printed as "false schema".
func explain(err error) string {
	lines := strings.Split(err.Error(), "\n")
	for i, line := range lines {
		if strings.HasSuffix(line, " false schema") {
			lines[i] = strings.TrimSuffix(line, " false schema") + ": unknown key (not in the Compose specification; extensions start with x-)"
		}
	}
	return strings.Join(lines, "\n")
}
