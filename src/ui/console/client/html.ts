import htm from 'htm';
import { h } from 'preact';

/** Preact's h through htm: tagged templates instead of JSX, so the page needs no JSX transform. */
export const html = htm.bind(h);
export type Markup = ReturnType<typeof html>;
