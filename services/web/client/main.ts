// The web chat page. The full client is built up in client/*.ts; this entry mounts it.
const root = document.getElementById('app')
if (root !== null) root.textContent = 'stomp-chat'
