// Every request the console makes goes through api(): one place adds the API key and turns HTTP failures into
// messages a person can act on (401: which key to set; 404: what was not found; validation: which field).

const KEY = 'lessor.apiKey';

/** An HTTP failure with the status, a sentence for the page, and the problem document when the server sent one. */
export class ApiError extends Error {
  constructor(status, message, problem) {
    super(message);
    this.status = status;
    this.problem = problem ?? null;
  }

  /** Field errors of a validation problem: { "lines[0].gpus": ["..."] }. */
  get fieldErrors() {
    return this.problem?.errors ?? {};
  }
}

export function apiKey() {
  return localStorage.getItem(KEY) ?? '';
}

export function setApiKey(key) {
  if (key) localStorage.setItem(KEY, key);
  else localStorage.removeItem(KEY);
}

/**
 * Calls the Lessor API. `options` are fetch's, except that a non-string body is sent as JSON; with
 * `options.withStatus` the result is { status, data } instead of the parsed body.
 */
export async function api(path, options = {}) {
  const { withStatus, ...init } = options;
  const headers = new Headers(init.headers ?? {});
  headers.set('Accept', 'application/json');
  const key = apiKey();
  if (key) headers.set('Authorization', `Bearer ${key}`);
  if (init.body !== undefined && typeof init.body !== 'string') {
    init.body = JSON.stringify(init.body);
    headers.set('Content-Type', 'application/json');
  }
  let response;
  try {
    response = await fetch(path, { ...init, headers });
  } catch (e) {
    throw new ApiError(0, `The Lessor server did not answer (${e.message}). Is \`lessor serve\` still running?`);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (response.status === 401) {
    throw new ApiError(401, key
      ? 'The server refused this API key (401). Paste a valid key under "API key" at the top right.'
      : 'The server needs an API key (401). Paste one under "API key" at the top right.', data);
  }
  if (response.status === 403) {
    throw new ApiError(403, 'This API key is not allowed to do that (403).', data);
  }
  if (response.status === 404) {
    throw new ApiError(404, `Not found: ${path.split('?')[0]}`, data);
  }
  if (!response.ok) {
    throw new ApiError(response.status, describeProblem(response.status, data), data);
  }
  return withStatus ? { status: response.status, data, etag: response.headers.get('ETag') } : data;
}

/** Fetches a document the API serves as text (an invoice's HTML or CSV) with the saved key. */
export async function apiText(path) {
  const headers = new Headers();
  const key = apiKey();
  if (key) headers.set('Authorization', `Bearer ${key}`);
  const response = await fetch(path, { headers });
  if (!response.ok) throw new ApiError(response.status, `The server answered ${response.status} for ${path.split('?')[0]}.`);
  return response.text();
}

function describeProblem(status, problem) {
  if (problem?.errors) {
    const fields = Object.entries(problem.errors).map(([field, messages]) => `${field}: ${messages.join(' ')}`);
    return fields.join('\n');
  }
  if (problem?.detail) return problem.detail;
  if (problem?.title) return problem.title;
  return `The server answered ${status}.`;
}
