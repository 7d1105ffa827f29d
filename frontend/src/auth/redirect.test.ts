import { describe, expect, it } from 'vitest';
import { loginPathFor, safeNextPath } from './redirect';

describe('safeNextPath', () => {
  it('keeps paths inside the app, with their query', () => {
    expect(safeNextPath('/admin/people?page=3')).toBe('/admin/people?page=3');
    expect(safeNextPath('/wallet')).toBe('/wallet');
  });

  it('refuses anything that could leave the app or loop back to sign-in', () => {
    for (const bad of [undefined, '', 'https://evil.example', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '/login', '/login/magic?token=x', '/invite?token=y', '/x\n']) {
      expect(safeNextPath(bad)).toBe('/');
    }
  });

  it('builds the login URL that returns to the wanted page', () => {
    expect(loginPathFor('/admin/teams')).toBe('/login?next=%2Fadmin%2Fteams');
    expect(loginPathFor('/')).toBe('/login');
    expect(loginPathFor('//evil.example')).toBe('/login');
  });
});
