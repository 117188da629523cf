// The REST API as the console uses it: JSON in and out, errors as ApiError (the server's {code, status, message}).

export class ApiError extends Error {
  constructor(public code: string, public status: number, message: string) {
    super(message);
  }
}

async function parse<T>(res: Response): Promise<T> {
  if (res.ok) {
    const type = res.headers.get('content-type') ?? '';
    return (type.includes('json') ? await res.json() : await res.text()) as T;
  }
  let body: { code?: string; message?: string } = {};
  try {
    body = await res.json();
  } catch {
    // not JSON: a proxy or a crash page; the status says enough
  }
  throw new ApiError(body.code ?? 'HTTP_' + res.status, res.status, body.message ?? res.statusText);
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError('NETWORK', 0, 'the server cannot be reached');
  }
  return parse<T>(res);
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => call<T>('PUT', path, body),
  del: <T>(path: string) => call<T>('DELETE', path),
};

/** A multipart upload with upload progress (fetch cannot report it). */
export function upload<T>(path: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError('NETWORK', 0, 'the server cannot be reached'));
    xhr.onload = () => {
      let body: { code?: string; message?: string } = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // leave empty
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(body as T);
      } else {
        reject(new ApiError(body.code ?? 'HTTP_' + xhr.status, xhr.status, body.message ?? xhr.statusText));
      }
    };
    xhr.send(form);
  });
}

export const enc = encodeURIComponent;
