/** Configuration: defaults, YAML file, GNOCCHI_TS_* variables, flags, in that order of precedence. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_CONFIG, loadConfig, optionsMarkdown } from "../../src/config.js";

describe("loadConfig", () => {
  it("has the documented defaults", () => {
    expect(DEFAULT_CONFIG).toMatchObject({
      host: "0.0.0.0",
      port: 8041,
      urlPrefix: "",
      dataDir: "./data",
      databaseUrl: "",
      authMode: "basic",
      maxLimit: 1000,
      corsAllowedOrigins: [],
      enableProxyHeadersParsing: false,
      sacks: 128,
      operationTimeout: 10,
    });
  });

  it("layers file, environment and flags", () => {
    const dir = mkdtempSync(join(tmpdir(), "gnocchi-config-"));
    const file = join(dir, "gnocchi.yaml");
    writeFileSync(
      file,
      [
        "api:",
        "  port: 9000",
        "  max_limit: 7",
        "  url_prefix: /gnocchi",
        "  enable_proxy_headers_parsing: true",
        "cors:",
        "  allowed_origin: [http://foobar.com]",
        "metricd:",
        "  processing_delay: 0.1",
        "  cleanup_delay: 5min",
      ].join("\n"),
    );
    const config = loadConfig({
      file,
      env: { GNOCCHI_TS_PORT: "9100", GNOCCHI_TS_DATABASE_URL: "postgresql://x/y" },
      flags: { port: "9200", "cors-allowed-origin": ["http://a.com,http://b.com"] },
    });
    expect(config.port).toBe(9200);
    expect(config.maxLimit).toBe(7);
    expect(config.urlPrefix).toBe("/gnocchi");
    expect(config.enableProxyHeadersParsing).toBe(true);
    expect(config.databaseUrl).toBe("postgresql://x/y");
    expect(config.corsAllowedOrigins).toEqual(["http://a.com", "http://b.com"]);
    expect(config.metricdProcessingDelay).toBe(0.1);
    expect(config.metricdCleanupDelay).toBe(300);
  });

  it("refuses bad values and unknown file keys", () => {
    expect(() => loadConfig({ env: { GNOCCHI_TS_PORT: "http" } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { GNOCCHI_TS_AUTH_MODE: "keystone" } })).toThrow(
      /must be one of basic, remoteuser/,
    );
    expect(() => loadConfig({ flags: { "max-limit": "0" } })).toThrow(/at least 1/);
    const dir = mkdtempSync(join(tmpdir(), "gnocchi-config-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "api:\n  prot: 1\n");
    expect(() => loadConfig({ file })).toThrow(/unknown option\(s\) api.prot/);
  });

  it("documents every option", () => {
    const table = optionsMarkdown();
    expect(table).toContain("`GNOCCHI_TS_DATABASE_URL`");
    expect(table).toContain("`--max-limit`");
  });
});
