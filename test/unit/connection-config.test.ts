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

/** The error `load` throws. */
function thrown(load: () => unknown): Error {
  try {
    load();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('the messages of a connection config that cannot load, word for word', () => {
  it('a TEMPORAL_CONFIG_FILE that names no file', () => {
    const cwd = dir();
    const error = thrown(() => findConfigFile({ TEMPORAL_CONFIG_FILE: 'conf/t.toml' }, cwd));
    expect(error).toBeInstanceOf(ConfigFileNotFoundError);
    expect(error.message).toBe(
      `TEMPORAL_CONFIG_FILE is set to 'conf/t.toml', but no file exists at ${cwd}/conf/t.toml. Fix the path, ` +
        'package the file with your function, or unset TEMPORAL_CONFIG_FILE to use $LAMBDA_TASK_ROOT/temporal.toml, ' +
        './temporal.toml or TEMPORAL_* env vars only.',
    );
  });

  it('a TEMPORAL_PROFILE other than default with no config file', () => {
    const error = thrown(() => loadConnectionConfig({ TEMPORAL_PROFILE: 'prod' }, dir()));
    expect(error).toBeInstanceOf(UnknownProfileError);
    expect(error.message).toBe(
      "TEMPORAL_PROFILE is 'prod', but no config file was found (looked for TEMPORAL_CONFIG_FILE, " +
        '$LAMBDA_TASK_ROOT/temporal.toml and ./temporal.toml). Package a temporal.toml with that profile or unset ' +
        'TEMPORAL_PROFILE.',
    );
    expect(loadConnectionConfig({ TEMPORAL_PROFILE: 'default', TEMPORAL_ADDRESS: 'h:1' }, dir()).profile).toBe(
      'default',
    );
  });

  it('an unknown profile: the profiles listed are the headers at the start of a line, indented or not', () => {
    const root = dir();
    const file = toml(
      root,
      '[profile.default]\naddress = "a:1"\n  [profile.staging]\naddress = "s:1"\n#[profile.old]\n' +
        'note = "see [profile.fake]"\n',
    );
    const error = thrown(() => loadConnectionConfig({ LAMBDA_TASK_ROOT: root, TEMPORAL_PROFILE: 'prod' }, dir()));
    expect(error).toBeInstanceOf(UnknownProfileError);
    expect(error.message).toBe(
      `TEMPORAL_PROFILE is 'prod', but ${file} has no [profile.prod] (profiles found: default, staging). Set ` +
        'TEMPORAL_PROFILE to one of them or add the profile to the file.',
    );
  });

  it('malformed TOML, found through LAMBDA_TASK_ROOT and through TEMPORAL_CONFIG_FILE', () => {
    const root = dir();
    const file = toml(root, '[profile.default]\napi_key = "super-secret-key-42"\naddress = = "x"\n');
    const found = thrown(() => loadConnectionConfig({ LAMBDA_TASK_ROOT: root }, dir()));
    expect(found.message).toBe(
      `The config file ${file} is not valid TOML: invalid value at line 3, column 11. Fix the file.`,
    );
    const named = thrown(() => loadConnectionConfig({ TEMPORAL_CONFIG_FILE: file }, dir()));
    expect(named.message).toBe(
      `The config file ${file} is not valid TOML: invalid value at line 3, column 11. Fix the file or point ` +
        'TEMPORAL_CONFIG_FILE at a valid one.',
    );
  });

  it('a config file that cannot be read', () => {
    const root = dir();
    mkdirSync(path.join(root, 'temporal.toml')); // a folder where the file should be
    const error = thrown(() => loadConnectionConfig({ LAMBDA_TASK_ROOT: root }, dir()));
    expect(error).toBeInstanceOf(ConfigFileNotFoundError);
    expect(error.message).toBe(
      `Cannot read the config file ${root}/temporal.toml: EISDIR: illegal operation on a directory, read. Check the ` +
        "file's permissions.",
    );
  });

  it.each([
    ['client_cert_path', 'tls.client_cert_path', 'TEMPORAL_TLS_CLIENT_CERT_PATH'],
    ['client_key_path', 'tls.client_key_path', 'TEMPORAL_TLS_CLIENT_KEY_PATH'],
    ['server_ca_cert_path', 'tls.server_ca_cert_path', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'],
  ])(
    'a missing TLS file set by %s: the key in the file and the env var, or the env var alone',
    (key, tomlKey, envVar) => {
      const present = dir();
      writeFileSync(path.join(present, 'c.pem'), 'CERT');
      writeFileSync(path.join(present, 'c.key'), 'KEY');
      writeFileSync(path.join(present, 'ca.pem'), 'CA');
      const paths: Record<string, string> = {
        client_cert_path: `${present}/c.pem`,
        client_key_path: `${present}/c.key`,
        server_ca_cert_path: `${present}/ca.pem`,
        [key]: 'certs/missing.pem',
      };
      const root = dir();
      const cwd = dir();
      const file = toml(
        root,
        '[profile.default]\naddress = "a:1"\n[profile.default.tls]\n' +
          Object.entries(paths)
            .map(([name, value]) => `${name} = "${value}"`)
            .join('\n') +
          '\n',
      );
      const inFile = thrown(() => loadConnectionConfig({ LAMBDA_TASK_ROOT: root }, cwd));
      expect(inFile).toBeInstanceOf(TlsFileNotFoundError);
      expect(inFile.message).toBe(
        `The TLS file 'certs/missing.pem' (from ${tomlKey} in ${file} or ${envVar}) does not exist (resolved to ` +
          `${cwd}/certs/missing.pem). Package the file with your function (it is under /var/task on Lambda) or fix ` +
          'the path.',
      );
      const env = {
        TEMPORAL_ADDRESS: 'a:1',
        TEMPORAL_TLS_CLIENT_CERT_PATH: paths.client_cert_path,
        TEMPORAL_TLS_CLIENT_KEY_PATH: paths.client_key_path,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: paths.server_ca_cert_path,
      };
      const fromEnv = thrown(() => loadConnectionConfig(env, cwd));
      expect(fromEnv.message).toBe(
        `The TLS file 'certs/missing.pem' (from ${envVar}) does not exist (resolved to ${cwd}/certs/missing.pem). ` +
          'Package the file with your function (it is under /var/task on Lambda) or fix the path.',
      );
    },
  );

  it('loads TLS from files that all exist, a CA left out, and registers only the private key', () => {
    const certs = dir();
    writeFileSync(path.join(certs, 'c.pem'), 'CERT');
    writeFileSync(path.join(certs, 'c.key'), 'KEY');
    const env = {
      TEMPORAL_ADDRESS: 'a:1',
      TEMPORAL_TLS_CLIENT_CERT_PATH: `${certs}/c.pem`,
      TEMPORAL_TLS_CLIENT_KEY_PATH: `${certs}/c.key`,
    };
    const loaded = loadConnectionConfig(env, dir());
    expect(loaded.secrets.map((secret) => Buffer.from(secret).toString())).toEqual(['KEY']);
    expect(loadConnectionConfig({ TEMPORAL_ADDRESS: 'a:1', TEMPORAL_API_KEY: 'k-123' }, dir()).secrets).toEqual([
      'k-123',
    ]);
  });
});
