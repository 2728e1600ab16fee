import React, { useEffect, useState } from "react";

const FORMAT = {
  weekday: "short",
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
};

// A moment in the browser's own time zone and locale; `fallback` until mounted, so the
// server-rendered page and the first client render agree.
export function LocalTime({ iso, fallback }) {
  const [text, setText] = useState(fallback || "");
  useEffect(() => {
    const moment = new Date(iso);
    setText(Number.isNaN(moment.getTime()) ? fallback || "" : moment.toLocaleString(undefined, FORMAT));
  }, [iso, fallback]);
  return <time dateTime={iso}>{text}</time>;
}
