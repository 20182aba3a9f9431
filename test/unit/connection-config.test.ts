import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findConfigFile, loadConnectionConfig } from '../../src/config/connection-config';
import {
  ConfigFileNotFoundError,
  MalformedConfigFileError,
  TlsFileNotFoundError,
  UnknownProfileError,
} from '../../src/errors';

function dir(): string {
  return mkdtempSync(path.join(tmpdir(), 'tlw-config-'));
}

function toml(folder: string, text: string, name = 'temporal.toml'): string {
  const file = path.join(folder, name);
  writeFileSync(file, text);
  return file;
}

describe('findConfigFile', () => {
  it('prefers TEMPORAL_CONFIG_FILE, then LAMBDA_TASK_ROOT, then the working directory', () => {
    const [explicit, root, cwd] = [dir(), dir(), dir()];
    const explicitFile = toml(explicit, '', 'custom.toml');
    toml(root, '');
    toml(cwd, '');
    expect(findConfigFile({ TEMPORAL_CONFIG_FILE: explicitFile, LAMBDA_TASK_ROOT: root }, cwd)).toEqual({
      path: explicitFile,
      source: 'TEMPORAL_CONFIG_FILE',
    });
    expect(findConfigFile({ LAMBDA_TASK_ROOT: root }, cwd)).toEqual({
      path: path.join(root, 'temporal.toml'),
      source: 'LAMBDA_TASK_ROOT',
    });
    expect(findConfigFile({ LAMBDA_TASK_ROOT: dir() }, cwd)).toEqual({
      path: path.join(cwd, 'temporal.toml'),
      source: 'cwd',
    });
    expect(findConfigFile({}, dir())).toBeUndefined();
  });

  it('names TEMPORAL_CONFIG_FILE and the path when that file is missing', () => {
    expect(() => findConfigFile({ TEMPORAL_CONFIG_FILE: '/nowhere/t.toml' }, dir())).toThrow(ConfigFileNotFoundError);
    expect(() => findConfigFile({ TEMPORAL_CONFIG_FILE: '/nowhere/t.toml' }, dir())).toThrow(
      /TEMPORAL_CONFIG_FILE.*\/nowhere\/t\.toml/,
    );
  });
});

describe('loadConnectionConfig', () => {
  it('loads the default profile and lets TEMPORAL_* env vars override it', () => {
    const root = dir();
    toml(root, '[profile.default]\naddress = "file-host:7233"\nnamespace = "file-ns"\n');
    const fromFile = loadConnectionConfig({ LAMBDA_TASK_ROOT: root }, dir());
    expect(fromFile.connectionOptions.address).toBe('file-host:7233');
    expect(fromFile.namespace).toBe('file-ns');
    const overridden = loadConnectionConfig(
      { LAMBDA_TASK_ROOT: root, TEMPORAL_ADDRESS: 'env-host:7233', TEMPORAL_NAMESPACE: 'env-ns' },
      dir(),
    );
    expect(overridden.connectionOptions.address).toBe('env-host:7233');
    expect(overridden.namespace).toBe('env-ns');
  });

  it('uses env vars only when there is no file, with namespace default', () => {
    const loaded = loadConnectionConfig({ TEMPORAL_ADDRESS: 'h:1' }, dir());
    expect(loaded.configFile).toBeUndefined();
    expect(loaded.connectionOptions.address).toBe('h:1');
    expect(loaded.namespace).toBe('default');
  });

  it('picks the profile named by TEMPORAL_PROFILE', () => {
    const root = dir();
    toml(root, '[profile.default]\naddress = "a:1"\n[profile.prod]\naddress = "p:1"\napi_key = "key-prod-123456"\n');
    const loaded = loadConnectionConfig({ LAMBDA_TASK_ROOT: root, TEMPORAL_PROFILE: 'prod' }, dir());
    expect(loaded.connectionOptions.address).toBe('p:1');
    expect(loaded.connectionOptions.tls).toBe(true);
    expect(loaded.secrets).toContain('key-prod-123456');
  });

  it('names TEMPORAL_PROFILE, the file and the profiles it has when the profile is unknown', () => {
    const root = dir();
    const file = toml(root, '[profile.default]\naddress = "a:1"\n[profile.staging]\naddress = "s:1"\n');
    const load = () => loadConnectionConfig({ LAMBDA_TASK_ROOT: root, TEMPORAL_PROFILE: 'prod' }, dir());
    expect(load).toThrow(UnknownProfileError);
    expect(load).toThrow(new RegExp(`TEMPORAL_PROFILE is 'prod'.*${file}.*default, staging`));
  });

  it('names the file, line and column of malformed TOML and never quotes its content', () => {
    const root = dir();
    const file = toml(root, '[profile.default]\napi_key = "super-secret-key-42"\naddress = = "x"\n');
    let caught: unknown;
    try {
      loadConnectionConfig({ LAMBDA_TASK_ROOT: root }, dir());
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MalformedConfigFileError);
    const message = (caught as Error).message;
    expect(message).toContain(file);
    expect(message).toMatch(/line 3/);
    expect(message).not.toContain('super-secret-key-42');
    expect((caught as Error).cause).toBeUndefined();
  });

  it('names the missing TLS file and where it was configured', () => {
    const root = dir();
    toml(
      root,
      '[profile.default]\naddress = "a:1"\n[profile.default.tls]\nclient_cert_path = "/missing/client.pem"\nclient_key_path = "/missing/client.key"\n',
    );
    const load = () => loadConnectionConfig({ LAMBDA_TASK_ROOT: root }, dir());
    expect(load).toThrow(TlsFileNotFoundError);
    expect(load).toThrow(/\/missing\/client\.pem.*tls\.client_cert_path/);
  });

  it('registers the TLS private key as a secret', () => {
    const root = dir();
    const certs = dir();
    mkdirSync(certs, { recursive: true });
    writeFileSync(path.join(certs, 'c.pem'), 'CERT');
    writeFileSync(path.join(certs, 'c.key'), '-----BEGIN PRIVATE KEY-----\nabcd\n-----END PRIVATE KEY-----\n');
    toml(
      root,
      `[profile.default]\naddress = "a:1"\n[profile.default.tls]\nclient_cert_path = "${certs}/c.pem"\nclient_key_path = "${certs}/c.key"\n`,
    );
    const loaded = loadConnectionConfig({ LAMBDA_TASK_ROOT: root }, dir());
    expect(loaded.secrets.map((secret) => Buffer.from(secret).toString())).toContain(
      '-----BEGIN PRIVATE KEY-----\nabcd\n-----END PRIVATE KEY-----\n',
    );
  });
});
