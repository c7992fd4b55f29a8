import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { serviceEntry } from '../drills/service-process.js';

describe('npm start entry', () => {
  it('refuses a bad configuration with exit code 1 and one message naming every bad variable', async () => {
    const child = spawn(process.execPath, [serviceEntry], {
      // An empty folder as cwd: no .env file can fill in what the environment lacks.
      cwd: '/',
      env: { PATH: process.env.PATH ?? '', GROQ_TEMPERATURE: '7', GROQ_TOP_P: '-1', GROQ_MAX_RETRIES: 'many', SLACK_BOT_TOKEN: 'xoxb-secret-token-value' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    for (const variable of ['GROQ_API_KEY', 'GROQ_TEMPERATURE', 'GROQ_TOP_P', 'GROQ_MAX_RETRIES', 'SLACK_SIGNING_SECRET']) expect(stderr).toContain(variable);
    expect(stderr.match(/Invalid configuration/g)).toHaveLength(1);
    expect(stderr + stdout).not.toContain('xoxb-secret-token-value');
  });
});
