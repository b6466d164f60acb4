import { uniqueId } from '@roomcast/testing';
import { PAGE_WAIT_MS, joinRoom, usePageStack } from './harness/browser';

// Q&A and polls end to end on the room page (live-qa.js, live-polls.js): a host and a viewer, each
// in their own Debian Chromium, against the embedded start (memory twins of the board and the box).
describe('Q&A and a poll on the room page, host and viewer', () => {
  const { open } = usePageStack('browser-qa-polls');

  it('a question is asked, upvoted and marked answered; a poll is opened, voted and closed', async () => {
    const roomId = uniqueId('qa');
    const host = await open('host');
    const viewer = await open('viewer');
    await joinRoom(host, { userId: 'hanna', roomId, host: true });
    await joinRoom(viewer, { userId: 'vic', roomId });

    // Q&A
    await viewer.page.fill('#qa-input', 'when does the sale start?');
    await viewer.page.click('#qa-ask');
    for (const s of [host, viewer]) await s.page.waitForSelector('#qa-list li[data-seq] .qa-text:has-text("when does the sale start?")', { timeout: PAGE_WAIT_MS });
    expect(await viewer.page.locator('#qa-list .qa-answered').count()).toBe(0);
    await viewer.page.click('#qa-list li[data-seq] .qa-vote');
    for (const s of [host, viewer]) await s.page.waitForSelector('#qa-list li[data-seq] .qa-vote:has-text("▲ 1")', { timeout: PAGE_WAIT_MS });
    await host.page.click('#qa-list li[data-seq] .qa-answered');
    for (const s of [host, viewer]) await s.page.waitForSelector('#qa-list li.answered', { timeout: PAGE_WAIT_MS });
    await Promise.all([host.screenshot('qa-answered'), viewer.screenshot('qa-answered')]);

    // A poll
    expect(await viewer.page.isHidden('#poll-host')).toBe(true);
    await host.page.waitForSelector('#poll-host', { state: 'visible', timeout: PAGE_WAIT_MS });
    await host.page.fill('#poll-new-question', 'which colour next?');
    await host.page.fill('#poll-new-options', 'red\ngreen\nblue');
    await host.page.click('#poll-open');
    for (const s of [host, viewer]) {
      await s.page.waitForSelector('#poll-question:has-text("which colour next?")', { timeout: PAGE_WAIT_MS });
      await s.page.waitForSelector('#messages li[data-kind="poll"]', { timeout: PAGE_WAIT_MS });
    }
    await viewer.page.click('#poll-options li[data-option="1"] button');
    for (const s of [host, viewer]) await s.page.waitForSelector('#poll-options li[data-option="1"] .count:has-text("1")', { timeout: PAGE_WAIT_MS });
    await Promise.all([host.screenshot('poll-open'), viewer.screenshot('poll-voted')]);
    await host.page.click('#poll-close');
    for (const s of [host, viewer]) {
      await s.page.waitForSelector('#poll-status:has-text("closed")', { timeout: PAGE_WAIT_MS });
      await s.page.waitForSelector('#messages li[data-kind="poll"]:has-text("poll closed")', { timeout: PAGE_WAIT_MS });
    }
    expect(await viewer.page.textContent('#poll-status')).toContain('most votes: green');
    await Promise.all([host.screenshot('poll-closed'), viewer.screenshot('poll-closed')]);
    expect(host.errors).toEqual([]);
    expect(viewer.errors).toEqual([]);
  }, 120_000);
});
