// The form that submits a concept: the project, the kind, and the concept inputs as JSON.
import { useMemo, useState } from 'react';
import type { ConceptInputs, CreateRequest } from '../client/index.js';
import example from '../examples/concept.json' with { type: 'json' };

export function ConceptForm(props: { projectId: string; onProject: (p: string) => void; onSubmit: (request: CreateRequest) => void }) {
  const initial = useMemo(() => JSON.stringify((example as { conceptInputs: unknown }).conceptInputs, null, 2), []);
  const [text, setText] = useState(initial);
  const [kind, setKind] = useState<'render' | 'preview'>('render');
  const [parseError, setParseError] = useState<string | null>(null);
  return (
    <form
      aria-label="new render"
      onSubmit={(e) => {
        e.preventDefault();
        try {
          // The API checks the concept and answers with each problem; the form only needs JSON.
          const conceptInputs = JSON.parse(text) as ConceptInputs;
          setParseError(null);
          props.onSubmit({ renderType: 'axonometric', kind, conceptInputs });
        } catch (err) {
          setParseError(`The concept is not valid JSON: ${(err as Error).message}`);
        }
      }}
    >
      <div className="row">
        <label>
          Project <input name="project" value={props.projectId} onChange={(e) => props.onProject(e.target.value)} />
        </label>
        <label>
          Kind{' '}
          <select name="kind" value={kind} onChange={(e) => setKind(e.target.value as 'render' | 'preview')}>
            <option value="render">render</option>
            <option value="preview">quick preview</option>
          </select>
        </label>
        <button type="submit">Render</button>
      </div>
      <textarea name="concept" aria-label="concept inputs" value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
      {parseError && <p className="error">{parseError}</p>}
    </form>
  );
}
