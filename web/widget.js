// Runner-Up's web chat. It talks to Rasa's socket.io channel (runner_up/channels/webchat.py) on the
// same origin, and reads earlier messages from history/<session id> beside this page.
// Every message text is put on the page with textContent, never as HTML.
(() => {
  'use strict';

  // The server issues the session and a token signed for it; the token (not the bare id) is what
  // lets this browser back into its conversation, and it is kept only here.
  const STORAGE_KEY = 'runner-up-session-token';
  const log = document.getElementById('log');
  const status = document.getElementById('status');
  const form = document.getElementById('composer');
  const input = document.getElementById('message');
  // Check-ins are sent in the person's own time zone.
  const metadata = { timezone: Intl.DateTimeFormat().resolvedOptions().timeZone };

  let session = { id: null, token: storedToken() };
  let shown = [];      // the messages on the page, {from, text}, in order
  let joined = false;  // in the session's room, history loaded: the person can send
  let loading = false; // history requested: live messages wait in `pending`
  let pending = [];
  let greeted = false;

  function storedToken() {
    try {
      return localStorage.getItem(STORAGE_KEY);
    } catch (_) {
      return null; // storage blocked: this visit gets a conversation of its own
    }
  }

  // The same token after a reload is what keeps the conversation.
  function keep(confirmed) {
    session = { id: confirmed.session_id, token: confirmed.token };
    try { localStorage.setItem(STORAGE_KEY, confirmed.token); } catch (_) { /* as above */ }
  }

  function setStatus(text) {
    status.textContent = text;
    status.hidden = !text;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function paragraphs(text) {
    return text.split(/\n\s*\n/).map((part) => part.trim()).filter(Boolean)
      .map((part) => element('p', '', part));
  }

  async function copy(text, button) {
    try {
      await navigator.clipboard.writeText(text);
    } catch (_) {
      // navigator.clipboard exists only on https and localhost: the older way works elsewhere.
      const area = element('textarea', 'offscreen');
      area.value = text;
      area.setAttribute('readonly', '');
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
      button.focus();
    }
    button.textContent = 'Copied';
    setTimeout(() => { button.textContent = 'Copy'; }, 2000);
  }

  // A template to copy comes fenced in ``` (actions/steps.py): shown as <pre> with a Copy button.
  function template(text) {
    const figure = element('figure', 'template');
    const pre = element('pre', '', text);
    const button = element('button', 'copy', 'Copy');
    button.type = 'button';
    button.addEventListener('click', () => copy(pre.textContent, button));
    figure.append(pre, button);
    return figure;
  }

  function body(text) {
    const nodes = [];
    const fence = /```[^\n]*\n([\s\S]*?)\n?```/g;
    let start = 0;
    for (let match; (match = fence.exec(text)) !== null; start = fence.lastIndex) {
      nodes.push(...paragraphs(text.slice(start, match.index)), template(match[1]));
    }
    return nodes.concat(paragraphs(text.slice(start)));
  }

  // The mood picture (runner_up/picture.py): the server's SVG as an <img>, which runs no script
  // and loads nothing; only a base64 SVG data: URL is taken. The message's text says the same.
  const CHART_SRC = 'data:image/svg+xml;base64,';
  function chart(picture) {
    if (!picture || typeof picture.src !== 'string' || !picture.src.startsWith(CHART_SRC)) return null;
    const figure = element('figure', 'chart');
    const image = element('img');
    image.src = picture.src;
    image.alt = typeof picture.alt === 'string' ? picture.alt : '';
    figure.append(image);
    return figure;
  }

  function clearQuickReplies() {
    log.querySelectorAll('.quick-replies').forEach((node) => node.remove());
  }

  function show(message) {
    clearQuickReplies();
    const item = element('div', `message from-${message.from}`);
    // Read before each message by screen readers; the bubbles' sides say it to the eye.
    item.append(element('span', 'visually-hidden', message.from === 'user' ? 'You:' : 'Runner-Up:'));
    const parts = body(message.text);
    // A template gets the whole width: on a phone, an 85 % bubble leaves it a narrow column.
    item.classList.toggle('has-template', parts.some((node) => node.tagName === 'FIGURE'));
    item.append(...parts);
    const picture = chart(message.chart);
    if (picture) {
      item.classList.add('has-chart');
      item.append(picture);
    }
    if (message.timestamp) {
      const when = new Date(message.timestamp * 1000);
      const time = element('time', '', when.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
      time.dateTime = when.toISOString();
      item.append(time);
    }
    log.append(item);
    if (message.quick_replies && message.quick_replies.length) {
      const replies = element('div', 'quick-replies');
      for (const reply of message.quick_replies) {
        const button = element('button', '', reply.title);
        button.type = 'button';
        button.addEventListener('click', () => send(reply.payload, reply.title));
        replies.append(button);
      }
      log.append(replies);
    }
    log.scrollTop = log.scrollHeight;
    shown.push({ from: message.from, text: message.text });
  }

  // Rasa gets `text`; the person sees `label` (a quick reply's title, not its payload; null: nothing).
  function send(text, label = text) {
    socket.emit('user_uttered', { message: text, metadata });
    if (label !== null) show({ from: 'user', text: label, timestamp: Date.now() / 1000 });
  }

  function received(message) {
    if (!message || typeof message.text !== 'string') return; // images, cards: not used by Runner-Up
    show({ from: 'bot', text: message.text, quick_replies: message.quick_replies, chart: message.chart,
           timestamp: Date.now() / 1000 });
  }

  // Rasa emits a turn's messages before it saves them, so a message that arrived while the history
  // was loading may be in it already: drop the pending ones the history ends with.
  function unseen(history, waiting) {
    const bot = history.filter((m) => m.from === 'bot').map((m) => m.text);
    for (let k = waiting.length; k > 0; k -= 1) {
      const tail = bot.slice(bot.length - k);
      if (tail.length === k && waiting.slice(0, k).every((m, i) => m.text === tail[i])) {
        return waiting.slice(k);
      }
    }
    return waiting;
  }

  async function loadHistory() {
    loading = true;
    pending = [];
    try {
      const response = await fetch(`history/${session.id}`, {
        cache: 'no-store', headers: { Authorization: `Bearer ${session.token}` },
      });
      if (!response.ok) throw new Error(`history: HTTP ${response.status}`);
      const { messages } = await response.json();
      // After a reconnect, only what is new is added, so the log is not read out again.
      const same = shown.length <= messages.length
        && shown.every((m, i) => m.from === messages[i].from && m.text === messages[i].text);
      if (!same) {
        log.replaceChildren();
        shown = [];
      }
      messages.slice(shown.length).forEach(show);
      unseen(messages, pending).forEach(received);
      setStatus('');
      if (messages.length === 0 && !greeted) {
        greeted = true;
        send('/greet', null); // the bot speaks first; Rasa reads "/greet" as the intent itself
      }
    } catch (error) {
      console.error(error);
      pending.forEach(received);
      setStatus('Earlier messages could not be loaded.');
    } finally {
      loading = false;
      pending = [];
    }
  }

  const socket = io({ path: '/socket.io' });

  socket.on('connect', () => {
    // A new connection is a new socket: ask again to join the session (a fresh one without a token).
    socket.emit('session_request', { token: session.token });
  });
  socket.on('session_confirm', async (confirmed) => {
    if (session.id && confirmed.session_id !== session.id) {
      log.replaceChildren(); // the token was refused: a new conversation, not the old one's log
      shown = [];
    }
    keep(confirmed);
    // Sending waits for the history, which would otherwise be drawn over a message just typed.
    await loadHistory();
    joined = socket.connected;
  });
  socket.on('disconnect', () => {
    joined = false;
    setStatus('Reconnecting…');
  });
  socket.on('connect_error', () => {
    setStatus(shown.length ? 'Reconnecting…' : 'Connecting…');
  });
  socket.on('bot_uttered', (message) => {
    if (loading) pending.push(message);
    else received(message);
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    if (!joined) {
      setStatus('Not connected yet: your message is kept and can be sent once connected.');
      return;
    }
    send(text);
    input.value = '';
    input.focus();
  });
})();
