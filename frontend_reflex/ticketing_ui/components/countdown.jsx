import React, { useEffect, useState } from "react";

// The browser's clock minus the server's, learnt from the newest server timestamp seen.
let skewMs = 0;
let skewFrom = 0;

function learnSkew(serverNowMs) {
  if (serverNowMs && serverNowMs !== skewFrom) {
    skewFrom = serverNowMs;
    skewMs = Date.now() - serverNowMs;
  }
}

function format(remainingMs) {
  const total = Math.max(0, Math.ceil(remainingMs / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${String(seconds).padStart(2, "0")}`;
}

// Ticks once a second in the browser against the server's deadline: no server traffic.
export function Countdown({ deadlineMs, serverNowMs, expiredText, className, ...rest }) {
  learnSkew(serverNowMs);
  const remaining = () => deadlineMs - (Date.now() - skewMs);
  const [left, setLeft] = useState(remaining());
  useEffect(() => {
    setLeft(remaining());
    if (!deadlineMs) return undefined;
    const timer = setInterval(() => setLeft(remaining()), 250);
    return () => clearInterval(timer);
  }, [deadlineMs, serverNowMs]);
  const done = left <= 0;
  return (
    <span
      className={className}
      data-testid="countdown"
      data-deadline={deadlineMs}
      data-expired={done ? "true" : "false"}
      role="timer"
      aria-live="off"
      {...rest}
    >
      {done ? expiredText || "0:00" : format(left)}
    </span>
  );
}
