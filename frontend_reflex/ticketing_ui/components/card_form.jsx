import React, { useEffect, useRef, useState } from "react";

const loading = {};

function loadStripeJs(url) {
  if (window.Stripe) return Promise.resolve(window.Stripe);
  if (!loading[url]) {
    loading[url] = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.onload = () => resolve(window.Stripe);
      script.onerror = () => {
        delete loading[url];
        reject(new Error("The card form could not be loaded."));
      };
      document.head.appendChild(script);
    });
  }
  return loading[url];
}

// Card entry with Stripe.js Elements: the card is confirmed on a SetupIntent in the browser
// (confirmCardSetup) and only the resulting payment method goes to the marketplace. When a
// payment then needs 3-D Secure, `actionSecret` is set and the challenge runs here.
export function CardForm({
  stripeJsUrl,
  publishableKey,
  clientSecret,
  actionSecret,
  payLabel,
  disabled,
  onPaymentMethod,
  onCardError,
  onActionDone,
}) {
  const mountRef = useRef(null);
  const stripeRef = useRef(null);
  const cardRef = useRef(null);
  const [ready, setReady] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState("");

  useEffect(() => {
    let cancelled = false;
    if (!stripeJsUrl || !publishableKey) return undefined;
    loadStripeJs(stripeJsUrl)
      .then((Stripe) => {
        if (cancelled || cardRef.current) return;
        stripeRef.current = Stripe(publishableKey);
        const card = stripeRef.current.elements().create("card", { hidePostalCode: false });
        card.mount(mountRef.current);
        cardRef.current = card;
        setReady(true);
      })
      .catch((error) => setProblem(error.message));
    return () => {
      cancelled = true;
    };
  }, [stripeJsUrl, publishableKey]);

  useEffect(() => {
    if (!actionSecret || !stripeRef.current) return;
    setBusy(true);
    stripeRef.current.confirmCardPayment(actionSecret).then((result) => {
      setBusy(false);
      onActionDone && onActionDone(!result.error, result.error ? result.error.message : "");
    });
  }, [actionSecret]);

  const pay = async () => {
    if (!stripeRef.current || !cardRef.current || !clientSecret) return;
    setBusy(true);
    setProblem("");
    const result = await stripeRef.current.confirmCardSetup(clientSecret, {
      payment_method: { card: cardRef.current },
    });
    setBusy(false);
    if (result.error) {
      const message = result.error.message || "Your card could not be used.";
      setProblem(message);
      onCardError && onCardError(message);
    } else {
      const method = result.setupIntent.payment_method;
      onPaymentMethod && onPaymentMethod(typeof method === "string" ? method : method.id);
    }
  };

  return (
    <div className="card-form">
      <label className="card-form-label" htmlFor="card-element">Card</label>
      <div id="card-element" className="card-form-element" ref={mountRef} data-testid="card-element" />
      {problem ? <p className="card-form-error" role="alert">{problem}</p> : null}
      <button
        type="button"
        className="card-form-pay"
        data-testid="pay-button"
        disabled={!ready || busy || disabled || !clientSecret}
        onClick={pay}
      >
        {busy ? "Processing…" : payLabel}
      </button>
    </div>
  );
}
