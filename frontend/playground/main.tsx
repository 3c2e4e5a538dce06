import { createRoot } from 'react-dom/client';
createRoot(document.getElementById('playground')!).render(<p>Playground</p>);
