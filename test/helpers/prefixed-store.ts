// A store seen through a folder of another: live tests run against a real, shared bucket, each in a
// fresh `test-runs/{id}/` folder, so no run sees another's objects. Keys are checked before the
// prefix is added, so the conformance suite's hostile keys are still refused.
import { assertValidKey, assertValidPrefix } from '../../shared/store/keys.js';
import { listAll, listAllFolders, type ListOptions, type ListPage, type ObjectStore, type PutOptions } from '../../shared/store/object-store.js';

export class PrefixedStore implements ObjectStore {
  constructor(
    private readonly inner: ObjectStore,
    private readonly prefix: string,
  ) {
    assertValidPrefix(prefix);
  }
  get kind() {
    return this.inner.kind;
  }
  get capabilities() {
    return this.inner.capabilities;
  }
  private k(key: string): string {
    assertValidKey(key);
    return this.prefix + key;
  }
  async get(key: string) {
    return this.inner.get(this.k(key));
  }
  async stat(key: string) {
    return this.inner.stat(this.k(key));
  }
  async put(key: string, body: Buffer | string, opts?: PutOptions) {
    return this.inner.put(this.k(key), body, opts);
  }
  async delete(key: string) {
    return this.inner.delete(this.k(key));
  }
  async deleteMany(keys: string[]) {
    return this.inner.deleteMany(keys.map((key) => this.k(key)));
  }
  async move(from: string, to: string) {
    return this.inner.move(this.k(from), this.k(to));
  }
  async list(prefix: string, opts?: ListOptions): Promise<ListPage> {
    assertValidPrefix(prefix);
    const page = await this.inner.list(this.prefix + prefix, opts);
    return { ...page, items: page.items.map((i) => ({ ...i, key: i.key.slice(this.prefix.length) })) };
  }
  async listFolders(prefix: string, opts?: ListOptions): Promise<ListPage> {
    assertValidPrefix(prefix);
    const page = await this.inner.listFolders(this.prefix + prefix, opts);
    return { ...page, items: page.items.map((i) => ({ ...i, key: i.key.slice(this.prefix.length) })) };
  }
  async signedUrl(key: string, expiresInS: number) {
    if (!this.inner.signedUrl) throw new Error('inner store cannot sign');
    return this.inner.signedUrl(this.k(key), expiresInS);
  }

  /** Deletes everything under the prefix. */
  async destroy(folder = this.prefix): Promise<void> {
    for await (const f of listAllFolders(this.inner, folder)) await this.destroy(`${f.key}/`);
    for await (const o of listAll(this.inner, folder)) await this.inner.delete(o.key);
  }
}
